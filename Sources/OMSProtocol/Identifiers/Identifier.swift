/// A typed OMS identifier: 32 bytes shown as bech32m under a prefix naming its kind, e.g.
/// `node1…` or `tcc1…`. Because the prefix is inside the checksum, a node id pasted where a
/// TCC id is expected is refused with a message naming both kinds, and a typo is caught.
public protocol Identifier: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible, Codable {
    /// The bech32m prefix for this kind of id.
    static var kind: IdentifierKind { get }
    var bytes: [UInt8] { get }
    /// Wraps exactly 32 bytes; callers validate length through `init(bytes:)`.
    init(uncheckedBytes: [UInt8])
}

/// Every kind of id OMS prints, with the prefix it is shown under.
public enum IdentifierKind: String, CaseIterable, Sendable {
    /// A node: its Ed25519 identity public key.
    case node
    /// A Trusted Compute Framework.
    case tcf
    /// A Trusted Compute Cell.
    case tcc
    /// A persona's public key.
    case persona
    /// The BLAKE2b-256 hash of a signed envelope.
    case object = "obj"

    public var prefix: String { rawValue }
}

public struct IdentifierError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let expected: IdentifierKind
    public let problem: String

    public var description: String { "'\(text)' is not a valid \(expected.prefix) id: \(problem)" }
}

extension Identifier {
    public static var byteCount: Int { 32 }

    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else {
            throw IdentifierError(
                text: "<\(bytes.count) bytes>", expected: Self.kind, problem: "must be \(Self.byteCount) bytes")
        }
        self.init(uncheckedBytes: bytes)
    }

    /// Parses the printed form, refusing other kinds, bad checksums and wrong lengths.
    public init(parsing text: String) throws(IdentifierError) {
        let trimmed = text.trimmingWhitespace()
        let decoded: (prefix: String, bytes: [UInt8])
        do {
            decoded = try Bech32m.decode(trimmed)
        } catch {
            throw IdentifierError(text: text, expected: Self.kind, problem: error.description)
        }
        guard decoded.prefix == Self.kind.prefix else {
            let found = IdentifierKind(rawValue: decoded.prefix).map { "it is a \($0.prefix) id" }
                ?? "its prefix '\(decoded.prefix)' is not an OMS id kind"
            throw IdentifierError(text: text, expected: Self.kind, problem: found)
        }
        guard decoded.bytes.count == Self.byteCount else {
            throw IdentifierError(
                text: text, expected: Self.kind, problem: "carries \(decoded.bytes.count) bytes, not \(Self.byteCount)")
        }
        self.init(uncheckedBytes: decoded.bytes)
    }

    public init?(_ description: String) {
        try? self.init(parsing: description)
    }

    public var description: String { Bech32m.encode(prefix: Self.kind.prefix, bytes: bytes) }

    /// The first characters after the prefix: enough to tell ids apart in logs and tables.
    public var short: String {
        let full = description
        let start = full.index(full.startIndex, offsetBy: Self.kind.prefix.count + 1)
        return Self.kind.prefix + "1" + full[start...].prefix(8)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
