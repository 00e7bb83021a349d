import Foundation

/// A software TPM (swtpm) of its own for a test: fresh state in a temporary directory, on free
/// loopback ports, stopped and removed by `stop()`. Tests that need a TPM start one: nothing is
/// mocked.
public final class SoftwareTPM: @unchecked Sendable {
    public let directory: URL
    public let port: Int
    public let controlPort: Int
    private let process: Process

    /// The TCTI string tss2 (and tpm2-tools, as `TPM2TOOLS_TCTI`) reach it with.
    public var tcti: String { "swtpm:host=127.0.0.1,port=\(port)" }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("oms-swtpm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // tss2's swtpm TCTI finds the control channel at the next port up.
        (port, controlPort) = try Self.freePortPair()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/swtpm")
        process.arguments = [
            "socket", "--tpm2", "--tpmstate", "dir=\(directory.path)",
            "--server", "type=tcp,port=\(port),bindaddr=127.0.0.1", "--ctrl", "type=tcp,port=\(controlPort),bindaddr=127.0.0.1",
            "--flags", "not-need-init,startup-clear",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready in tens of milliseconds: wait until its port takes a connection.
        let deadline = Date().addingTimeInterval(5)
        while !Self.accepts(port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw StartError(description: "swtpm did not listen on 127.0.0.1:\(port) within 5 s (is swtpm installed? scripts/install-deps)")
            }
            usleep(10_000)
        }
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            // SIGKILL: swtpm leaves SIGTERM unhandled while a client is connected, and its
            // state is thrown away with the directory anyway.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    static func freePortPair() throws -> (Int, Int) {
        for _ in 0..<50 {
            let port = try freePort()
            if port < 65535, !accepts(port + 1), canBind(port + 1) { return (port, port + 1) }
        }
        throw StartError(description: "no two free loopback ports in a row")
    }

    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "no socket for a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw StartError(description: "could not bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
