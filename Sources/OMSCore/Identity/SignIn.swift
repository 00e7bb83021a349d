import OMSCrypto
import OMSProtocol

/// What an app (the relying party) hands out to start "sign in with my TCC": a fresh nonce,
/// its own name as audience, and when the challenge lapses.
public struct SignInChallenge: Hashable, Sendable {
    public static let nonceLength = 32
    /// Challenges live this long, in seconds: enough for a person to approve, short enough
    /// that a stolen one is useless soon.
    public static let lifetime: UInt64 = 120

    public let audience: Audience
    public let nonce: [UInt8]
    public let expires: UInt64

    public init(audience: Audience, nonce: [UInt8], expires: UInt64) throws(IdentityError) {
        guard nonce.count == Self.nonceLength else {
            throw IdentityError(.malformed, "a challenge's nonce is \(Self.nonceLength) bytes, not \(nonce.count)")
        }
        self.audience = audience
        self.nonce = nonce
        self.expires = expires
    }
}

/// A TCC's answer to a challenge, signed by the persona it uses for that app. Envelope type
/// `oms/sign-in`; payload `version u8 = 1 | audience_len u8 | audience | nonce [32] | signed_at u64`.
public struct SignInResponse: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/sign-in")
    static let version: UInt8 = 1
    static let maximumPayload = 1 + 1 + Audience.maximumLength + SignInChallenge.nonceLength + 8

    public let envelope: Envelope
    public let audience: Audience
    public let nonce: [UInt8]
    public let signedAt: UInt64

    public var persona: PersonaID { PersonaID(uncheckedBytes: envelope.signer.rawRepresentation) }

    public static func answer(_ challenge: SignInChallenge, at time: UInt64, with persona: Ed25519.PrivateKey) -> Self {
        var payload: [UInt8] = [version]
        payload.appendShortText(challenge.audience.rawValue)
        payload += challenge.nonce
        payload.appendBigEndian(time)
        return try! Self(opening: Envelope.sign(type: type, payload: payload, with: persona).bytes)
    }

    public init(opening bytes: [UInt8]) throws(IdentityError) {
        envelope = try IdentityError.open(bytes, as: Self.type, maximumPayload: Self.maximumPayload)
        var reader = ByteReader(envelope.payload)
        try reader.require(version: Self.version, of: "sign-in answer")
        audience = try reader.readAudience()
        guard let nonce = reader.readArray(SignInChallenge.nonceLength), let time = reader.readUInt64() else {
            throw IdentityError(.malformed, "truncated in the sign-in answer's nonce or time")
        }
        try reader.requireEnd(of: "sign-in answer")
        self.nonce = nonce
        signedAt = time
    }
}
