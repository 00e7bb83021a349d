import OMSCrypto

/// A node, named by its Ed25519 identity public key, so the id alone verifies its signatures.
public struct NodeID: Identifier {
    public static let kind = IdentifierKind.node
    public let bytes: [UInt8]
    public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    public init(publicKey: Ed25519.PublicKey) {
        bytes = publicKey.rawRepresentation
    }

    public var publicKey: Ed25519.PublicKey { try! Ed25519.PublicKey(rawRepresentation: bytes) }
}

/// Byte-wise, so that every node orders members (SWIM's probe rounds, lists) alike.
extension NodeID: Comparable {
    public static func < (a: NodeID, b: NodeID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// A Trusted Compute Framework, named by its owner key: BLAKE2b-256 of `"oms/v1/tcf-id" 0x00 ||
/// owner public key` (protocol-spec §1), so that anything signed about the TCF (where it lives)
/// shows it is the owner's from the bytes alone. TCFs made before that have random ids.
public struct TCFID: Identifier {
    public static let kind = IdentifierKind.tcf
    public let bytes: [UInt8]
    public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    static let ownerDomain = Array("oms/v1/tcf-id".utf8) + [0]

    /// The id of the TCF whose owner key is `owner`.
    public init(owner: Ed25519.PublicKey) {
        bytes = BLAKE2b.hash(Self.ownerDomain + owner.rawRepresentation, outputLength: 32)
    }

    /// Whether this id is the one `owner` names.
    public func isNamed(by owner: Ed25519.PublicKey) -> Bool { self == TCFID(owner: owner) }
}

/// A Trusted Compute Cell.
public struct TCCID: Identifier {
    public static let kind = IdentifierKind.tcc
    public let bytes: [UInt8]
    public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }
}

/// A persona, named by its Ed25519 public key.
public struct PersonaID: Identifier {
    public static let kind = IdentifierKind.persona
    public let bytes: [UInt8]
    public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }
}

/// A signed object, named by the BLAKE2b-256 hash of its envelope's bytes.
public struct ObjectID: Identifier {
    public static let kind = IdentifierKind.object
    public let bytes: [UInt8]
    public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }
}
