import OMSCrypto

/// Names one attempt at moving a TCF: 16 random bytes, fresh for each attempt, so that nothing
/// of one attempt (an attestation, a chunk, a receipt) passes in another.
public struct MigrationID: Sendable, Hashable, Codable, CustomStringConvertible {
    public static let length = 16
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(MigrationError) {
        guard bytes.count == Self.length else { throw MigrationError(.malformed, "a migration id of \(bytes.count) bytes; 16 expected") }
        self.bytes = bytes
    }

    public static func random() -> MigrationID { try! MigrationID(bytes: SecureRandom.bytes(length)) }

    public init?(hex: String) {
        guard let bytes = [UInt8](hexString: hex), let id = try? MigrationID(bytes: bytes) else { return nil }
        self = id
    }

    public var description: String { bytes.hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = MigrationID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a 32-digit hex migration id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
