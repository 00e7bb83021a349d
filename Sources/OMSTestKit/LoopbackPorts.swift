import Foundation

/// Loopback ports for tests that start servers whose port must be chosen before they listen
/// (swtpm, the owner API's h2c listener): one socket call each, on 127.0.0.1.
public enum LoopbackPorts {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// A port that was free a moment ago.
    public static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(description: "no socket for a free port") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Unavailable(description: "could not bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Two free ports in a row: swtpm's, and its control channel's at the next one up (where
    /// tss2's swtpm TCTI looks for it).
    public static func freePair() throws -> Int {
        for _ in 0..<50 {
            let port = try free()
            if port < 65535, !accepts(port + 1), canBind(port + 1) { return port }
        }
        throw Unavailable(description: "no two free loopback ports in a row")
    }

    /// Whether something listens on `port`.
    public static func accepts(_ port: Int) -> Bool { withSocket(port) { connect($0, $1, $2) == 0 } }

    /// Whether `port` could be bound now.
    public static func canBind(_ port: Int) -> Bool { withSocket(port) { bind($0, $1, $2) == 0 } }

    private static func withSocket(_ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// `127.0.0.1:port` as the socket calls take it.
    public static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
