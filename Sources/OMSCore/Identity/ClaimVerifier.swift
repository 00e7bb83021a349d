import OMSProtocol

/// Decides whether a claim or presentation holds at a given time, against the revocations the
/// verifier knows. Pure: the caller supplies the clock reading and the revocation lookup.
public struct ClaimVerifier: Sendable {
    /// How far apart two honest clocks may be, in seconds.
    public static let skew: UInt64 = 300

    let isRevoked: @Sendable (ClaimRevocation.Key) -> Bool

    public init(isRevoked: @escaping @Sendable (ClaimRevocation.Key) -> Bool = { _ in false }) {
        self.isRevoked = isRevoked
    }

    /// A verifier that knows exactly these revocations (each already opened, so signed by its
    /// issuer).
    public init(revocations: [ClaimRevocation]) {
        let keys = Set(revocations.map(\.key))
        self.init(isRevoked: { keys.contains($0) })
    }

    @discardableResult
    public func verify(claim bytes: [UInt8], at now: UInt64) throws(IdentityError) -> SignedClaim {
        let claim = try SignedClaim(opening: bytes)
        try check(claim, at: now)
        return claim
    }

    public func check(_ signed: SignedClaim, at now: UInt64) throws(IdentityError) {
        let claim = signed.claim
        guard claim.issued <= now || claim.issued - now <= Self.skew else {
            throw IdentityError(.notYetValid, "the claim is issued at \(claim.issued), after now (\(now))")
        }
        guard now < claim.expires else {
            throw IdentityError(.expired, "the claim expired at \(claim.expires); it is now \(now)")
        }
        if let key = signed.revocationKey, isRevoked(key) {
            throw IdentityError(.revoked, "its issuer \(claim.issuer) has revoked the claim")
        }
    }

    /// Verifies a presentation made to `audience` with the `nonce` this verifier chose.
    @discardableResult
    public func verify(
        presentation bytes: [UInt8], audience: Audience, nonce: [UInt8], at now: UInt64
    ) throws(IdentityError) -> ClaimPresentation {
        let presentation = try ClaimPresentation(opening: bytes)
        try check(presentation.claim, at: now)
        try presentation.checkSubject()
        guard presentation.audience == audience else {
            throw IdentityError(.wrongAudience, "the presentation is for '\(presentation.audience.rawValue.printable(limit: 64))', not '\(audience)'")
        }
        guard presentation.nonce == nonce else {
            throw IdentityError(.wrongNonce, "the presentation answers another nonce")
        }
        guard secondsApart(presentation.presented, now) <= Self.skew else {
            throw IdentityError(.stale, "presented at \(presentation.presented), more than \(Self.skew) s from now (\(now))")
        }
        return presentation
    }
}

/// The distance between two times, in either order, without overflow.
func secondsApart(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : b - a }
