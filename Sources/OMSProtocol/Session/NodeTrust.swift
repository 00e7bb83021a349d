/// How a node's master key rests, which the node states in its handshake and in what it signs
/// about itself (migration attestations and receipts): what a peer may expect of its custody of
/// data. Only `tpm` means a copied disk opens nothing.
public enum NodeTrust: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Sealed by the machine's TPM.
    case tpm = 1
    /// Software trust: under a key from argon2id over the owner's passphrase.
    case passphrase = 2
    /// Software trust: under a random key in a file beside the database (tests, demos, or a
    /// machine whose disk is trusted as a whole).
    case keyFile = 3

    public var description: String {
        switch self {
        case .tpm: "tpm"
        case .passphrase: "software (passphrase)"
        case .keyFile: "software (key file)"
        }
    }

    /// The names owner policies and the command line use.
    public var name: String {
        switch self {
        case .tpm: "tpm"
        case .passphrase: "passphrase"
        case .keyFile: "key-file"
        }
    }

    public init?(name: String) {
        guard let trust = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = trust
    }
}

/// In JSON (status, owner API, policies) by name.
extension NodeTrust: Codable {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let trust = NodeTrust(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown trust '\(name)': tpm, passphrase or key-file"))
        }
        self = trust
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
