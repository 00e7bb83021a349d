import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// The relying party's state, which the vectors cannot carry (protocol-spec/README.md section
/// 10): a nonce is accepted once, only while its challenge is outstanding and before it lapses; a
/// refused answer consumes nothing; challenges are bounded and forgotten once lapsed.
@Suite struct SignInVerifierTests {
    static let audience = try! Audience("bike-club.example")
    static let persona = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x42, count: 32))
    static let t0: UInt64 = 1_768_953_600

    static func nonce(_ n: UInt8) -> [UInt8] { [UInt8](repeating: n, count: SignInChallenge.nonceLength) }

    /// The persona's answer to `challenge`, signed at `time`.
    static func answer(_ challenge: SignInChallenge, at time: UInt64) -> [UInt8] {
        SignInResponse.answer(challenge, at: time, with: persona).envelope.bytes
    }

    /// The code `accept` fails with, or nil when it signs someone in.
    static func failure(_ verifier: inout SignInVerifier, _ bytes: [UInt8], now: UInt64) -> String? {
        do {
            _ = try verifier.accept(bytes, now: now)
            return nil
        } catch {
            return error.code.name
        }
    }

    @Test func aChallengeCarriesTheAudienceAndLapsesAfterItsLifetime() {
        var verifier = SignInVerifier(audience: Self.audience)
        let challenge = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        #expect(challenge.audience == Self.audience)
        #expect(challenge.nonce == Self.nonce(1))
        #expect(SignInChallenge.lifetime == 120)
        #expect(challenge.expires == Self.t0 + 120)
        #expect(verifier.outstandingCount == 1)
    }

    @Test func anAnswerSignsItsPersonaInOnce() throws {
        var verifier = SignInVerifier(audience: Self.audience)
        let challenge = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let persona = try verifier.accept(Self.answer(challenge, at: Self.t0 + 5), now: Self.t0 + 10)
        #expect(persona == PersonaID(uncheckedBytes: Self.persona.publicKey.rawRepresentation))
        #expect(verifier.outstandingCount == 0)
    }

    @Test func anAnswerToANonceNeverIssuedIsUnknown() throws {
        var verifier = SignInVerifier(audience: Self.audience)
        _ = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let forged = try SignInChallenge(audience: Self.audience, nonce: Self.nonce(2), expires: Self.t0 + 120)
        #expect(Self.failure(&verifier, Self.answer(forged, at: Self.t0), now: Self.t0 + 1) == "unknownNonce")
        #expect(verifier.outstandingCount == 1, "the issued challenge is untouched")
    }

    @Test func aSecondAcceptOfTheSameAnswerIsReplayed() throws {
        var verifier = SignInVerifier(audience: Self.audience)
        let challenge = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let bytes = Self.answer(challenge, at: Self.t0 + 1)
        _ = try verifier.accept(bytes, now: Self.t0 + 2)
        #expect(Self.failure(&verifier, bytes, now: Self.t0 + 3) == "replayed")
        // Another answer to the same challenge (signed later) is a replay too, until it lapses.
        #expect(Self.failure(&verifier, Self.answer(challenge, at: Self.t0 + 100), now: Self.t0 + 119) == "replayed")
    }

    @Test func anAnswerAtOrAfterTheChallengesExpiryIsExpired() throws {
        var verifier = SignInVerifier(audience: Self.audience)
        let challenge = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let bytes = Self.answer(challenge, at: challenge.expires)
        #expect(Self.failure(&verifier, bytes, now: challenge.expires) == "expired")
        #expect(Self.failure(&verifier, bytes, now: challenge.expires + 50) == "expired")
        #expect(verifier.outstandingCount == 1)

        var fresh = SignInVerifier(audience: Self.audience)
        let again = fresh.challenge(nonce: Self.nonce(1), now: Self.t0)
        _ = try fresh.accept(Self.answer(again, at: again.expires - 1), now: again.expires - 1)
    }

    @Test func aRefusedAnswerConsumesNothing() throws {
        var verifier = SignInVerifier(audience: Self.audience)
        let challenge = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)

        let elsewhere = try SignInChallenge(
            audience: try Audience("other-app.example"), nonce: challenge.nonce, expires: challenge.expires)
        #expect(Self.failure(&verifier, Self.answer(elsewhere, at: Self.t0 + 1), now: Self.t0 + 2) == "wrongAudience")
        #expect(Self.failure(&verifier, Self.answer(challenge, at: Self.t0 + 2 + 301), now: Self.t0 + 2) == "stale")
        var tampered = Self.answer(challenge, at: Self.t0 + 1)
        tampered[tampered.count - 1] ^= 1
        #expect(Self.failure(&verifier, tampered, now: Self.t0 + 2) == "badSignature")
        #expect(verifier.outstandingCount == 1)

        let persona = try verifier.accept(Self.answer(challenge, at: Self.t0 + 3), now: Self.t0 + 3)
        #expect(persona.bytes == Self.persona.publicKey.rawRepresentation)
        #expect(verifier.outstandingCount == 0)
    }

    @Test func beyondCapacityTheOldestChallengeIsDropped() throws {
        var verifier = SignInVerifier(audience: Self.audience, capacity: 2)
        let first = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let second = verifier.challenge(nonce: Self.nonce(2), now: Self.t0 + 1)
        let third = verifier.challenge(nonce: Self.nonce(3), now: Self.t0 + 2)
        #expect(verifier.outstandingCount == 2)
        #expect(Self.failure(&verifier, Self.answer(first, at: Self.t0 + 3), now: Self.t0 + 3) == "unknownNonce")
        _ = try verifier.accept(Self.answer(second, at: Self.t0 + 3), now: Self.t0 + 3)
        _ = try verifier.accept(Self.answer(third, at: Self.t0 + 3), now: Self.t0 + 3)
        #expect(verifier.outstandingCount == 0)
    }

    /// An answered challenge leaves the outstanding set, so it no longer counts towards the bound.
    @Test func anAnsweredChallengeFreesItsPlace() throws {
        var verifier = SignInVerifier(audience: Self.audience, capacity: 2)
        let first = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let second = verifier.challenge(nonce: Self.nonce(2), now: Self.t0)
        _ = try verifier.accept(Self.answer(first, at: Self.t0), now: Self.t0)
        let third = verifier.challenge(nonce: Self.nonce(3), now: Self.t0)
        _ = try verifier.accept(Self.answer(second, at: Self.t0), now: Self.t0)
        _ = try verifier.accept(Self.answer(third, at: Self.t0), now: Self.t0)
    }

    @Test func expireForgetsLapsedChallengesOnly() throws {
        var verifier = SignInVerifier(audience: Self.audience)
        let early = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let late = verifier.challenge(nonce: Self.nonce(2), now: Self.t0 + 60)
        verifier.expire(now: early.expires - 1)
        #expect(verifier.outstandingCount == 2)
        verifier.expire(now: early.expires)
        #expect(verifier.outstandingCount == 1)
        // Forgotten, so unknown rather than expired.
        #expect(Self.failure(&verifier, Self.answer(early, at: early.expires), now: early.expires) == "unknownNonce")
        _ = try verifier.accept(Self.answer(late, at: early.expires), now: early.expires)
    }

    @Test func issuingAChallengeForgetsLapsedOnes() {
        var verifier = SignInVerifier(audience: Self.audience)
        let early = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        _ = verifier.challenge(nonce: Self.nonce(2), now: early.expires)
        #expect(verifier.outstandingCount == 1)
        #expect(Self.failure(&verifier, Self.answer(early, at: early.expires), now: early.expires) == "unknownNonce")
    }

    /// Once its challenge has lapsed and been forgotten, an answered nonce is unknown: the
    /// memory of answers is bounded by the challenges' lifetime.
    @Test func expireForgetsAnsweredChallengesOnceLapsed() throws {
        var verifier = SignInVerifier(audience: Self.audience)
        let challenge = verifier.challenge(nonce: Self.nonce(1), now: Self.t0)
        let bytes = Self.answer(challenge, at: Self.t0)
        _ = try verifier.accept(bytes, now: Self.t0)
        verifier.expire(now: challenge.expires - 1)
        #expect(Self.failure(&verifier, bytes, now: challenge.expires - 1) == "replayed")
        verifier.expire(now: challenge.expires)
        #expect(Self.failure(&verifier, bytes, now: challenge.expires) == "unknownNonce")
    }
}
