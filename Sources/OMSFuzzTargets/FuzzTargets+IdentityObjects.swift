import OMSCore
import OMSCrypto
import OMSProtocol

extension FuzzTargets {
    /// The identity objects (protocol-spec/README.md sections 8-10): the bytes go to each opener
    /// (claim, revocation, presentation, persona link, sign-in answer), and each object one of
    /// them accepts must keep the bytes it was given, re-encode to exactly its payload (the
    /// layouts are canonical), respect the limits its decoder promises, and give the verdicts
    /// the verifiers owe it at its own times (0, issued, expires, `UInt64.max`).
    ///
    /// A mutated envelope almost never keeps a valid signature, so when the input decodes as an
    /// envelope its type and payload are also signed afresh, with the vectors' key for its
    /// signer when there is one (`IdentityFixture`), and opened again: the decoders behind the
    /// signature check see the fuzzer's payloads too. The input read as UTF-8 (lossy) also goes
    /// to `PartyID(parsing:)` and `Audience(_:)`, which must accept only what prints back the same.
    public static func identityObjects(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        try openIdentityObjects(bytes)
        if let envelope = try? Envelope(decoding: bytes) {
            let resigned = Envelope.sign(
                type: envelope.type, payload: envelope.payload, with: IdentityFixture.shared.key(for: envelope.signer)
            ).bytes
            if resigned != bytes { try openIdentityObjects(resigned) }
        }

        let text = String(decoding: bytes, as: UTF8.self)
        if let party = try? PartyID(parsing: text) {
            try invariant(party.description == text, "a party id parsed from text that is not its printed form")
            try invariant((try? PartyID(parsing: party.description)) == party, "a party id did not round-trip")
        }
        if let audience = try? Audience(text) {
            try invariant(
                audience.rawValue.utf8.elementsEqual(text.utf8), "an audience is not the text it was made from")
            try audienceInvariants(audience)
        }
    }

    static func openIdentityObjects(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        if let claim = try? SignedClaim(opening: bytes) { try claimInvariants(claim, bytes) }
        if let revocation = try? ClaimRevocation(opening: bytes) { try revocationInvariants(revocation, bytes) }
        if let presentation = try? ClaimPresentation(opening: bytes) { try presentationInvariants(presentation, bytes) }
        if let link = try? PersonaLink(opening: bytes) { try linkInvariants(link, bytes) }
        if let answer = try? SignInResponse(opening: bytes) { try signInInvariants(answer, bytes) }
    }

    static func claimInvariants(_ signed: SignedClaim, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        let claim = signed.claim
        try invariant(signed.envelope.bytes == bytes, "a claim keeps other bytes than it opened")
        try invariant(
            signed.envelope.type == Claim.type, "a claim opened from an envelope of type \(signed.envelope.type)")
        try invariant(signed.envelope.payload.count <= Claim.maximumPayload, "a claim's payload is over the limit")
        try invariant(
            claim.issuer.bytes == signed.envelope.signer.rawRepresentation, "a claim's issuer is not its signer")
        switch claim.issuer {
        case .persona, .tcc: break
        case .node, .tcf:
            throw FuzzInvariantViolation(description: "a claim issued by a \(claim.issuer), which cannot sign")
        }
        try invariant(claim.payload == signed.envelope.payload, "a claim does not re-encode to its payload")
        try invariant(claim.expires > claim.issued, "a claim expires before it is issued")
        try invariant(claim.value.utf8.count <= Claim.maximumValueLength, "a claim's value is over the limit")
        try invariant(
            claim.revocationID.map { $0.count == Claim.revocationIDLength } ?? true, "a revocation id is not 16 bytes")
        try invariant(
            (try? PartyID(parsing: claim.issuer.description)) == claim.issuer, "the issuer did not round-trip")
        try invariant(
            (try? PartyID(parsing: claim.subject.description)) == claim.subject, "the subject did not round-trip")
        try invariant((try? ClaimType(claim.type.rawValue)) == claim.type, "the claim type did not round-trip")
        try invariant(
            signed.revocationKey.map { $0.issuer == claim.issuer.bytes && $0.revocationID == claim.revocationID }
                ?? (claim.revocationID == nil),
            "the revocation key is not the issuer's key and the claim's revocation id")

        // Valid from `issued` (and up to the skew before it) until just before `expires`; revoked
        // by a verifier that revokes everything exactly when it names a revocation id.
        let verifier = ClaimVerifier()
        try invariant(
            (try? verifier.verify(claim: bytes, at: claim.issued)) == signed, "a claim does not hold when issued")
        try expect(verifier, signed, at: claim.expires - 1, nil, "just before it expires")
        try expect(verifier, signed, at: claim.expires, .expired, "when it expires")
        try expect(verifier, signed, at: .max, .expired, "at the end of time")
        try expect(verifier, signed, at: 0, claim.issued <= ClaimVerifier.skew ? nil : .notYetValid, "at time 0")
        let revokingAll = ClaimVerifier(isRevoked: { _ in true })
        try expect(
            revokingAll, signed, at: claim.issued, claim.revocationID == nil ? nil : .revoked, "when all is revoked")
    }

    /// `verifier.check(signed, at: now)` must throw `expected`, or return when it is nil.
    static func expect(
        _ verifier: ClaimVerifier, _ signed: SignedClaim, at now: UInt64, _ expected: IdentityError.Code?,
        _ when: String
    ) throws(FuzzInvariantViolation) {
        let found = code { () throws(IdentityError) in try verifier.check(signed, at: now) }
        try invariant(
            found == expected,
            "a claim checked \(when) gives \(found?.name ?? "no error"), not \(expected?.name ?? "no error")")
    }

    static func revocationInvariants(_ revocation: ClaimRevocation, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        try invariant(revocation.envelope.bytes == bytes, "a revocation keeps other bytes than it opened")
        try invariant(revocation.revocationID.count == Claim.revocationIDLength, "a revocation id is not 16 bytes")
        var payload: [UInt8] = [1]
        payload += revocation.revocationID
        payload.appendBigEndian(revocation.revokedAt)
        try invariant(payload == revocation.envelope.payload, "a revocation does not re-encode to its payload")
        try invariant(
            revocation.key.issuer == revocation.envelope.signer.rawRepresentation,
            "a revocation revokes for another key than its signer")
    }

    static func presentationInvariants(_ presentation: ClaimPresentation, _ bytes: [UInt8])
        throws(FuzzInvariantViolation)
    {
        try invariant(presentation.envelope.bytes == bytes, "a presentation keeps other bytes than it opened")
        try invariant(
            presentation.nonce.count == ClaimPresentation.nonceLength, "a presentation's nonce is not 32 bytes")
        try audienceInvariants(presentation.audience)
        let inner = presentation.claim.envelope.bytes
        try invariant(
            (try? SignedClaim(opening: inner)) == presentation.claim,
            "the presented claim does not re-open from its own bytes")
        try claimInvariants(presentation.claim, inner)
        var payload: [UInt8] = [1, UInt8(presentation.audience.rawValue.utf8.count)]
        payload += presentation.audience.rawValue.utf8
        payload += presentation.nonce
        payload.appendBigEndian(presentation.presented)
        payload.appendBigEndian(UInt32(inner.count))
        payload += inner
        try invariant(payload == presentation.envelope.payload, "a presentation does not re-encode to its payload")

        // Made to its own audience and nonce, at its own time, it holds exactly when the claim
        // holds then and the presenter is the subject; for another nonce it never does.
        let verifier = ClaimVerifier()
        let presented = presentation.presented
        let claimHolds =
            code { () throws(IdentityError) in try verifier.check(presentation.claim, at: presented) } == nil
        let subjectPresents = code { () throws(IdentityError) in try presentation.checkSubject() } == nil
        let verified = try? verifier.verify(
            presentation: bytes, audience: presentation.audience, nonce: presentation.nonce, at: presented)
        try invariant(
            (verified != nil) == (claimHolds && subjectPresents),
            "a presentation's verdict disagrees with its claim's and subject's")
        try invariant(verified.map { $0 == presentation } ?? true, "verifying a presentation gave another one")
        var otherNonce = presentation.nonce
        otherNonce[0] ^= 1
        for now in [0, presentation.claim.claim.issued, presented, UInt64.max] {
            try invariant(
                (try? verifier.verify(presentation: bytes, audience: presentation.audience, nonce: otherNonce, at: now))
                    == nil,
                "a presentation holds for another nonce")
        }
    }

    static func linkInvariants(_ link: PersonaLink, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        try invariant(link.envelope.bytes == bytes, "a persona link keeps other bytes than it opened")
        try invariant(
            link.first.bytes == link.envelope.signer.rawRepresentation,
            "a persona link is not signed by its first persona")
        try invariant(link.first != link.second, "a persona link joins a persona to itself")
        let payload = link.envelope.payload
        try invariant(payload.count == 137, "a persona link's payload is \(payload.count) bytes, not 137")
        var prefix: [UInt8] = [1]
        prefix += link.first.bytes + link.second.bytes
        prefix.appendBigEndian(link.linkedAt)
        try invariant(Array(payload.prefix(73)) == prefix, "a persona link does not re-encode to its payload")
    }

    static func signInInvariants(_ answer: SignInResponse, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        try invariant(answer.envelope.bytes == bytes, "a sign-in answer keeps other bytes than it opened")
        try audienceInvariants(answer.audience)
        try invariant(answer.nonce.count == SignInChallenge.nonceLength, "a sign-in nonce is not 32 bytes")
        try invariant(
            answer.persona.bytes == answer.envelope.signer.rawRepresentation, "the signed-in persona is not the signer")
        var payload: [UInt8] = [1, UInt8(answer.audience.rawValue.utf8.count)]
        payload += answer.audience.rawValue.utf8
        payload += answer.nonce
        payload.appendBigEndian(answer.signedAt)
        try invariant(payload == answer.envelope.payload, "a sign-in answer does not re-encode to its payload")

        // Accepted once by a verifier that issued its challenge at its signing time, then
        // refused as a replay; refused by one that issued none. (A relying party's own clock
        // is never near `UInt64.max`, where a challenge's expiry would overflow.)
        var stranger = SignInVerifier(audience: answer.audience)
        let unknown = code { () throws(IdentityError) in _ = try stranger.accept(bytes, now: answer.signedAt) }
        try invariant(unknown == .unknownNonce, "an answer to no challenge gives \(unknown?.name ?? "no error")")
        guard answer.signedAt <= UInt64.max - SignInChallenge.lifetime else { return }
        var verifier = SignInVerifier(audience: answer.audience)
        _ = verifier.challenge(nonce: answer.nonce, now: answer.signedAt)
        try invariant(
            (try? verifier.accept(bytes, now: answer.signedAt)) == answer.persona,
            "an answer to an outstanding challenge is refused")
        let again = code { () throws(IdentityError) in _ = try verifier.accept(bytes, now: answer.signedAt) }
        try invariant(again == .replayed, "a second answer to a challenge gives \(again?.name ?? "no error")")
    }

    static func audienceInvariants(_ audience: Audience) throws(FuzzInvariantViolation) {
        try invariant(
            (1...Audience.maximumLength).contains(audience.rawValue.utf8.count), "an audience is not 1 to 128 bytes")
        try invariant((try? Audience(audience.rawValue)) == audience, "an audience did not round-trip")
    }

    /// The code `body` throws, or nil when it returns.
    static func code(of body: () throws(IdentityError) -> Void) -> IdentityError.Code? {
        do {
            try body()
            return nil
        } catch {
            return error.code
        }
    }
}

/// Private keys for the public keys in protocol-spec/vectors/{claims,persona-links,sign-in}.json
/// (their `*_seed` fields), so that `identityObjects` can re-sign a mutated payload with the key
/// its envelope names and an issuer or signer check still passes.
struct IdentityFixture: Sendable {
    static let shared = IdentityFixture()

    let keys: [Ed25519.PrivateKey]

    init() {
        keys = [
            "6ad1b974226d892462d919835cb35d631a57d0522d291b8db85cac26f4ba2dce",
            "d3ed60994cc5844df34a9e03972be46bc5e349a330a356c836331b108d14ffa5",
            "47c5327bbf6ef3851f3d4c6a31fe4193af3f382bb4f3dfab7ca03b093fe7f666",
            "dcd139e0f342e36942275ee0fbf63a79b4a34aeff5b162a006f18ed771ad58ee",
            "b9fe96b5dacd5cd3aee5aad4ab95c42280ebb5381cca9d99f8577d3d2e05fd9d",
            "16f4d899c3a9457cfb712fb3b7d36ba3253a1543ceffbfe641b246f2f1244d1e",
            "edce91a924e9178ce09f49559a48fdf7b7e22c4131db7b2448a0d3ff85fab6b0",
            "412b05e2263217fe0798a5f9d9e1514ba8295e856e491c513b947fdf39570653",
            "4f530774e5e63a1b61144d8581d46c768c55961ae948ef56e2780ee5a7e9f98e",
            "faaed040e3e3bd405d7ee8feed2c396c8e5238513dcd90ae6a8bd64c71d072d1",
        ].map { try! Ed25519.PrivateKey(seed: HandshakeFixture.bytes($0)) }
    }

    /// The vectors' key whose public key is `signer`, or the first one.
    func key(for signer: Ed25519.PublicKey) -> Ed25519.PrivateKey {
        keys.first { $0.publicKey.rawRepresentation == signer.rawRepresentation } ?? keys[0]
    }
}
