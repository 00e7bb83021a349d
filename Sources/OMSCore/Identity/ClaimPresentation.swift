import OMSCrypto
import OMSProtocol

/// A claim shown by its subject to one verifier: the subject signs the claim together with
/// the verifier's name (audience) and a nonce the verifier chose, so the presentation proves
/// the presenter holds the subject's key and cannot be replayed elsewhere or later. Envelope
/// type `oms/claim-presentation`; payload
/// `version u8 = 1 | audience_len u8 | audience | nonce [32] | presented u64 | claim_len u32 | claim`.
public struct ClaimPresentation: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/claim-presentation")
    static let version: UInt8 = 1
    public static let nonceLength = 32
    static let maximumClaimLength = Claim.maximumPayload + 1024
    static let maximumPayload = 1 + 1 + Audience.maximumLength + nonceLength + 8 + 4 + maximumClaimLength

    public let envelope: Envelope
    public let claim: SignedClaim
    public let audience: Audience
    public let nonce: [UInt8]
    public let presented: UInt64

    /// Presents `claim` with the subject's `key`.
    public static func present(
        _ claim: SignedClaim, to audience: Audience, nonce: [UInt8], at time: UInt64, with key: Ed25519.PrivateKey
    ) throws(IdentityError) -> Self {
        guard nonce.count == nonceLength else { throw IdentityError(.malformed, "a nonce is \(nonceLength) bytes") }
        guard claim.claim.subject.bytes == key.publicKey.rawRepresentation, claim.claim.subject.canSign else {
            throw IdentityError(.subjectMismatch, "only the claim's subject \(claim.claim.subject) can present it")
        }
        var payload: [UInt8] = [version]
        payload.appendShortText(audience.rawValue)
        payload += nonce
        payload.appendBigEndian(time)
        payload.appendBigEndian(UInt32(claim.envelope.bytes.count))
        payload += claim.envelope.bytes
        return try Self(opening: Envelope.sign(type: type, payload: payload, with: key).bytes)
    }

    /// Opens the presentation and the claim inside it. Subject, audience, nonce, time and revocation are the verifier's to check (`ClaimVerifier`).
    public init(opening bytes: [UInt8]) throws(IdentityError) {
        envelope = try IdentityError.open(bytes, as: Self.type, maximumPayload: Self.maximumPayload)
        var reader = ByteReader(envelope.payload)
        try reader.require(version: Self.version, of: "claim presentation")
        audience = try reader.readAudience()
        guard let nonce = reader.readArray(Self.nonceLength), let presented = reader.readUInt64(),
            let claimLength = reader.readUInt32()
        else {
            throw IdentityError(.malformed, "truncated in the presentation's nonce, time or claim length")
        }
        guard claimLength <= Self.maximumClaimLength, let claimBytes = reader.readArray(Int(claimLength)) else {
            throw IdentityError(.malformed, "the presented claim's length \(claimLength) is beyond the limit or the bytes present")
        }
        try reader.requireEnd(of: "claim presentation")
        self.nonce = nonce
        self.presented = presented
        claim = try SignedClaim(opening: claimBytes)
    }

    /// Only the claim's subject may present it. Checked by `ClaimVerifier` after the claim
    /// itself, the order protocol-spec/README.md gives.
    public func checkSubject() throws(IdentityError) {
        guard claim.claim.subject.canSign, claim.claim.subject.bytes == envelope.signer.rawRepresentation else {
            throw IdentityError(
                .subjectMismatch, "the claim is about \(claim.claim.subject) but \(PersonaID(uncheckedBytes: envelope.signer.rawRepresentation)) presents it")
        }
    }
}
