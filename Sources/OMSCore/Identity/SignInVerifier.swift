import OMSProtocol

/// The relying party's side of sign-in, as a state machine with the clock and randomness
/// passed in: it issues challenges, accepts each at most once, and forgets them when they
/// lapse. A host keeps one per app and wraps it in whatever I/O it has.
public struct SignInVerifier: Sendable {
    public let audience: Audience
    /// At most this many challenges are outstanding; the oldest is dropped beyond it, so a
    /// flood of challenge requests costs bounded memory.
    public let capacity: Int
    private var outstanding: [[UInt8]: UInt64] = [:]
    private var order: [[UInt8]] = []
    private var answered: [[UInt8]: UInt64] = [:]

    public init(audience: Audience, capacity: Int = 10_000) {
        self.audience = audience
        self.capacity = capacity
    }

    public var outstandingCount: Int { outstanding.count }

    /// A challenge with the caller's fresh random `nonce`, valid from `now`.
    /// `nonce` must be 32 fresh random bytes.
    public mutating func challenge(nonce: [UInt8], now: UInt64) -> SignInChallenge {
        precondition(nonce.count == SignInChallenge.nonceLength, "a challenge nonce is 32 bytes")
        expire(now: now)
        if outstanding.count >= capacity, let oldest = order.first {
            order.removeFirst()
            outstanding[oldest] = nil
        }
        let challenge = try! SignInChallenge(audience: audience, nonce: nonce, expires: now + SignInChallenge.lifetime)
        outstanding[nonce] = challenge.expires
        order.append(nonce)
        return challenge
    }

    /// Accepts an answer once: the persona that signed it is signed in.
    public mutating func accept(_ bytes: [UInt8], now: UInt64) throws(IdentityError) -> PersonaID {
        let response = try SignInResponse(opening: bytes)
        guard response.audience == audience else {
            throw IdentityError(.wrongAudience, "the answer is for '\(response.audience.rawValue.printable(limit: 64))', not '\(audience)'")
        }
        if answered[response.nonce] != nil {
            throw IdentityError(.replayed, "this challenge was already answered; ask for a new one")
        }
        guard let expires = outstanding[response.nonce] else {
            throw IdentityError(.unknownNonce, "no challenge with this nonce is outstanding; ask for a new one")
        }
        guard now < expires else {
            throw IdentityError(.expired, "the challenge lapsed at \(expires); it is now \(now)")
        }
        guard secondsApart(response.signedAt, now) <= ClaimVerifier.skew else {
            throw IdentityError(.stale, "the answer is signed at \(response.signedAt), more than \(ClaimVerifier.skew) s from now (\(now))")
        }
        outstanding[response.nonce] = nil
        order.removeAll { $0 == response.nonce }
        answered[response.nonce] = expires
        if answered.count > capacity {
            // Answered nonces are kept only until their challenge lapses, and at most
            // `capacity` of them: beyond that, the soonest to lapse is forgotten (a replay of
            // it is then refused as unknownNonce, still refused).
            if let soonest = answered.min(by: { $0.value < $1.value }) { answered[soonest.key] = nil }
        }
        return response.persona
    }

    /// Drops lapsed challenges, and the memory of answers whose challenge has lapsed (an
    /// answer to a lapsed challenge is refused as expired or unknown either way).
    public mutating func expire(now: UInt64) {
        outstanding = outstanding.filter { now < $0.value }
        order.removeAll { outstanding[$0] == nil }
        answered = answered.filter { now < $0.value }
    }
}
