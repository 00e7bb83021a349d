import OMSCrypto
import OMSProtocol

/// The owner's statement that two of their personas are the same person. Personas are
/// independent random keys, so without this nothing links them; with it, both keys have
/// signed. The owner decides whom to show it to. Envelope type `oms/persona-link`, signed by
/// `first`; its 137-byte payload is `version u8 = 1 | first [32] | second [32] | linked_at u64 |
/// second_signature [64]`, the last by `second` over `"oms/v1/persona-link" 0x00 | first |
/// second | linked_at`.
public struct PersonaLink: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/persona-link")
    static let version: UInt8 = 1
    static let payloadLength = 137
    static let domain = Array("oms/v1/persona-link".utf8) + [0]

    public let envelope: Envelope
    public let first: PersonaID
    public let second: PersonaID
    public let linkedAt: UInt64

    public static func link(_ first: Ed25519.PrivateKey, _ second: Ed25519.PrivateKey, at time: UInt64) throws(IdentityError) -> Self {
        let a = first.publicKey.rawRepresentation
        let b = second.publicKey.rawRepresentation
        guard a != b else { throw IdentityError(.sameKey, "a persona cannot be linked to itself") }
        var payload: [UInt8] = [version]
        payload += a + b
        payload.appendBigEndian(time)
        payload += second.signature(for: secondSignedMessage(first: a, second: b, linkedAt: time))
        return try Self(opening: Envelope.sign(type: type, payload: payload, with: first).bytes)
    }

    static func secondSignedMessage(first: [UInt8], second: [UInt8], linkedAt: UInt64) -> [UInt8] {
        var message = domain + first + second
        message.appendBigEndian(linkedAt)
        return message
    }

    public init(opening bytes: [UInt8]) throws(IdentityError) {
        envelope = try IdentityError.open(bytes, as: Self.type, maximumPayload: Self.payloadLength)
        var reader = ByteReader(envelope.payload)
        try reader.require(version: Self.version, of: "persona link")
        guard let a = reader.readArray(32), let b = reader.readArray(32), let time = reader.readUInt64(),
            let signature = reader.readArray(Ed25519.signatureLength)
        else {
            throw IdentityError(.malformed, "a persona link is \(Self.payloadLength) bytes, not \(envelope.payload.count)")
        }
        try reader.requireEnd(of: "persona link")
        guard envelope.signer.rawRepresentation == a else {
            throw IdentityError(.signerMismatch, "the link must be signed by its first persona")
        }
        guard a != b else { throw IdentityError(.sameKey, "the link joins a persona to itself") }
        guard let secondKey = try? Ed25519.PublicKey(rawRepresentation: b),
            secondKey.isValidSignature(signature, for: Self.secondSignedMessage(first: a, second: b, linkedAt: time))
        else {
            throw IdentityError(.badSignature, "the second persona's signature does not verify")
        }
        first = PersonaID(uncheckedBytes: a)
        second = PersonaID(uncheckedBytes: b)
        linkedAt = time
    }
}
