/// A TCP endpoint as OMS writes it: `host:port`, with IPv6 hosts in brackets (`[::1]:7400`).
/// Used on the wire (Hello, PeerList), in the store and on the command line.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible, Codable {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) throws(EndpointError) {
        guard !host.isEmpty, host.utf8.count <= 253 else {
            throw EndpointError(text: "\(host):\(port)", problem: "the host is empty or too long")
        }
        guard (0...65_535).contains(port) else {
            throw EndpointError(text: "\(host):\(port)", problem: "the port must be 0 to 65535")
        }
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(EndpointError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw EndpointError(text: text, problem: "write an IPv6 address as [address]:port")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw EndpointError(text: text, problem: "expected host:port, e.g. 127.0.0.1:7400")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        // Digits only: Int("+80") would also parse, and an address must have one spelling.
        guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ (48...57).contains($0) }),
            let port = Int(portText)
        else {
            throw EndpointError(text: text, problem: "'\(portText)' is not a port number")
        }
        let hostAllowed = host.utf8.allSatisfy { c in
            (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || c == 46 || c == 45 || c == 58 || c == 37
        }
        guard hostAllowed else { throw EndpointError(text: text, problem: "'\(host)' is not a host name or address") }
        try self.init(host: String(host), port: port)
    }

    public init?(_ description: String) { try? self.init(parsing: description) }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

public struct EndpointError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let problem: String
    public var description: String { "bad address '\(text)': \(problem)" }
}
