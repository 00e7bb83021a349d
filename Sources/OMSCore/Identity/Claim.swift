import OMSCrypto
import OMSProtocol

/// A signed statement by a persona or TCC (the issuer) about someone (the subject): "this
/// persona is over 18", "this TCC is a member of the garden club". The envelope of type
/// `oms/claim` is the claim; its payload (protocol-spec/README.md, section 8) is
/// ```
/// version u8 = 1 | issuer_len u8 | issuer | subject_len u8 | subject | type_len u8 | type
/// | value_len u16 | value | issued u64 | expires u64 | revocation_len u8 | revocation_id
/// ```
/// with ids as printed text and times in Unix seconds.
public struct Claim: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/claim")
    static let version: UInt8 = 1
    public static let maximumPayload = 8192
    public static let maximumValueLength = 4096
    public static let revocationIDLength = 16

    public var issuer: PartyID
    public var subject: PartyID
    public var type: ClaimType
    public var value: String
    public var issued: UInt64
    public var expires: UInt64
    /// Present when the issuer may revoke the claim: it then publishes a revocation naming it.
    public var revocationID: [UInt8]?

    public init(
        issuer: PartyID, subject: PartyID, type: ClaimType, value: String, issued: UInt64, expires: UInt64,
        revocationID: [UInt8]? = nil
    ) throws(IdentityError) {
        guard issuer.canSign else { throw IdentityError(.malformed, "a claim's issuer is a persona or a TCC, not \(issuer)") }
        guard value.utf8.count <= Self.maximumValueLength else {
            throw IdentityError(.malformed, "a claim's value is at most \(Self.maximumValueLength) bytes, not \(value.utf8.count)")
        }
        guard expires > issued else { throw IdentityError(.malformed, "a claim must expire after it is issued") }
        if let revocationID, revocationID.count != Self.revocationIDLength {
            throw IdentityError(.malformed, "a revocation id is \(Self.revocationIDLength) bytes, not \(revocationID.count)")
        }
        self.issuer = issuer
        self.subject = subject
        self.type = type
        self.value = value
        self.issued = issued
        self.expires = expires
        self.revocationID = revocationID
    }

    public var payload: [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes.appendShortText(issuer.description)
        bytes.appendShortText(subject.description)
        bytes.appendShortText(type.rawValue)
        bytes.appendBigEndian(UInt16(value.utf8.count))
        bytes += value.utf8
        bytes.appendBigEndian(issued)
        bytes.appendBigEndian(expires)
        bytes.append(UInt8(revocationID?.count ?? 0))
        bytes += revocationID ?? []
        return bytes
    }

    /// Signs the claim; `key` must be the issuer's.
    public func signed(with key: Ed25519.PrivateKey) throws(IdentityError) -> SignedClaim {
        guard key.publicKey.rawRepresentation == issuer.bytes else {
            throw IdentityError(.issuerMismatch, "the claim names \(issuer) as issuer but another key signs it")
        }
        let envelope = Envelope.sign(type: Self.type, payload: payload, with: key)
        return SignedClaim(envelope: envelope, claim: self)
    }

    init(decoding payload: [UInt8]) throws(IdentityError) {
        var reader = ByteReader(payload)
        try reader.require(version: Self.version, of: "claim")
        let issuer = try reader.readPartyID("issuer")
        let subject = try reader.readPartyID("subject")
        guard let typeLength = reader.readByte(), let typeBytes = reader.read(Int(typeLength)) else {
            throw IdentityError(.malformed, "truncated in the claim type")
        }
        let type = try ClaimType(String(decoding: typeBytes, as: UTF8.self))
        guard let valueLength = reader.readUInt16(), let valueBytes = reader.read(Int(valueLength)) else {
            throw IdentityError(.malformed, "truncated in the claim value")
        }
        guard let value = String(validating: valueBytes, as: UTF8.self) else {
            throw IdentityError(.malformed, "the claim value is not UTF-8")
        }
        guard let issued = reader.readUInt64(), let expires = reader.readUInt64(),
            let revocationLength = reader.readByte(), let revocation = reader.readArray(Int(revocationLength))
        else {
            throw IdentityError(.malformed, "truncated in the claim's times or revocation id")
        }
        try reader.requireEnd(of: "claim")
        try self.init(
            issuer: issuer, subject: subject, type: type, value: value, issued: issued, expires: expires,
            revocationID: revocationLength == 0 ? nil : revocation)
    }
}

/// A claim with the envelope that carries it; what is stored, sent and presented.
public struct SignedClaim: Hashable, Sendable {
    public let envelope: Envelope
    public let claim: Claim

    public var id: ObjectID { envelope.id }

    /// Opens and decodes, checking only what needs no clock: the signature and that the
    /// issuer is the signer. `ClaimVerifier` adds time and revocation.
    public init(opening bytes: [UInt8]) throws(IdentityError) {
        let envelope = try IdentityError.open(bytes, as: Claim.type, maximumPayload: Claim.maximumPayload)
        let claim = try Claim(decoding: envelope.payload)
        guard claim.issuer.bytes == envelope.signer.rawRepresentation else {
            throw IdentityError(.issuerMismatch, "the claim names \(claim.issuer) as issuer but another key signed it")
        }
        self.init(envelope: envelope, claim: claim)
    }

    init(envelope: Envelope, claim: Claim) {
        self.envelope = envelope
        self.claim = claim
    }
}
