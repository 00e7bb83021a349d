import OMSCrypto
import OMSProtocol

/// The issuer's signed word that the claims it issued with `revocationID` no longer hold: an
/// envelope of type `oms/claim-revocation` with the 25-byte payload
/// `version u8 = 1 | revocation_id [16] | revoked_at u64`. Only the issuer's own key can
/// revoke: a revocation signed by anyone else names nothing of theirs.
public struct ClaimRevocation: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/claim-revocation")
    static let version: UInt8 = 1
    static let payloadLength = 25

    /// What a revocation revokes: the issuer's key and the revocation id, together.
    public struct Key: Hashable, Sendable {
        public let issuer: [UInt8]
        public let revocationID: [UInt8]

        public init(issuer: [UInt8], revocationID: [UInt8]) {
            self.issuer = issuer
            self.revocationID = revocationID
        }
    }

    public let envelope: Envelope
    public let revocationID: [UInt8]
    public let revokedAt: UInt64

    public var key: Key { Key(issuer: envelope.signer.rawRepresentation, revocationID: revocationID) }

    public static func sign(revocationID: [UInt8], at time: UInt64, with key: Ed25519.PrivateKey) throws(IdentityError) -> Self {
        guard revocationID.count == Claim.revocationIDLength else {
            throw IdentityError(.malformed, "a revocation id is \(Claim.revocationIDLength) bytes, not \(revocationID.count)")
        }
        var payload: [UInt8] = [version]
        payload += revocationID
        payload.appendBigEndian(time)
        return try Self(opening: Envelope.sign(type: type, payload: payload, with: key).bytes)
    }

    public init(opening bytes: [UInt8]) throws(IdentityError) {
        envelope = try IdentityError.open(bytes, as: Self.type, maximumPayload: Self.payloadLength)
        var reader = ByteReader(envelope.payload)
        try reader.require(version: Self.version, of: "claim revocation")
        guard let id = reader.readArray(Claim.revocationIDLength), let time = reader.readUInt64() else {
            throw IdentityError(.malformed, "a claim revocation is \(Self.payloadLength) bytes, not \(envelope.payload.count)")
        }
        try reader.requireEnd(of: "claim revocation")
        revocationID = id
        revokedAt = time
    }
}

extension SignedClaim {
    /// The revocation key this claim answers to, if it can be revoked at all.
    public var revocationKey: ClaimRevocation.Key? {
        claim.revocationID.map { ClaimRevocation.Key(issuer: envelope.signer.rawRepresentation, revocationID: $0) }
    }
}
