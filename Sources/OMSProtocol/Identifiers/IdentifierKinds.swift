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

/// A Trusted Compute Framework, named by its owner-chosen random 32 bytes.
public struct TCFID: Identifier {
    public static let kind = IdentifierKind.tcf
    public let bytes: [UInt8]
    public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }
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
