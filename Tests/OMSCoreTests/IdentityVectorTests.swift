import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import Testing

/// The identity vectors of protocol-spec/README.md sections 8 to 10 (`claims.json`,
/// `persona-links.json`, `sign-in.json`), written by the independent Python implementation:
/// Swift opens, verifies and refuses what it does, and, Ed25519 being deterministic, signs the
/// same fields into the same bytes.
@Suite struct IdentityVectorTests {
    // MARK: - The files

    struct ClaimsFile: Decodable {
        let skewSeconds: UInt64
        let valid: [ValidClaim]
        let revocations: [Revocation]
        let stillValid: [StillValid]
        let presentations: [Presentation]
        let invalid: [InvalidClaim]
    }

    struct ValidClaim: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let signerSeed: String
        let issuer: String
        let subject: String
        let type: String
        let value: String
        let issued: UInt64
        let expires: UInt64
        let revocationId: String
        let payload: String
        let envelope: String
        let id: String
        let verifyAt: UInt64
        var testDescription: String { name }
    }

    struct Revocation: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let signerSeed: String
        let revocationId: String
        let revokedAt: UInt64
        let payload: String
        let envelope: String
        /// The name of the valid claim this revokes, or nil when it revokes none of them.
        let revokes: String?
        var testDescription: String { name }
    }

    struct StillValid: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let envelope: String
        let revocations: [String]
        let verifyAt: UInt64
        var testDescription: String { name }
    }

    struct Presentation: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let claim: String
        let subjectSeed: String
        let audience: String
        let nonce: String
        let presented: UInt64
        let payload: String
        let envelope: String
        let verifyAt: UInt64
        var testDescription: String { name }
    }

    struct InvalidClaim: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let kind: String
        let envelope: String
        let error: String
        let verifyAt: UInt64
        let audience: String?
        let nonce: String?
        let revocations: [String]?
        var testDescription: String { "\(kind): \(name)" }
    }

    struct LinksFile: Decodable {
        let valid: [ValidLink]
        let invalid: [InvalidLink]
    }

    struct ValidLink: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let firstSeed: String
        let secondSeed: String
        let first: String
        let second: String
        let linkedAt: UInt64
        let secondSignedMessage: String
        let secondSignature: String
        let payload: String
        let envelope: String
        var testDescription: String { name }
    }

    struct InvalidLink: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let envelope: String
        let error: String
        var testDescription: String { name }
    }

    struct SignInFile: Decodable {
        let valid: [ValidSignIn]
        let invalid: [InvalidSignIn]
    }

    struct ValidSignIn: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let personaSeed: String
        let persona: String
        let audience: String
        let nonce: String
        let signedAt: UInt64
        let payload: String
        let envelope: String
        let challengeExpires: UInt64?
        let verifyAt: UInt64
        var testDescription: String { name }
    }

    struct InvalidSignIn: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let audience: String
        let nonce: String
        let envelope: String
        let error: String
        let challengeExpires: UInt64?
        let verifyAt: UInt64
        var testDescription: String { name }
    }

    /// Decodes `protocol-spec/vectors/<name>`; keys in the files are snake_case.
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let url = SharedVectors.projectRoot.appendingPathComponent("protocol-spec/vectors").appendingPathComponent(name)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: Data(contentsOf: url))
    }

    static let claims: ClaimsFile = try! load("claims.json")
    static let links: LinksFile = try! load("persona-links.json")
    static let signIn: SignInFile = try! load("sign-in.json")

    /// An expected audience for invalid presentations whose own audience cannot be expected
    /// (it breaks the rules, or the file gives none): the presentation fails before it matters.
    static let fallbackAudience = try! Audience("bike-club.example")

    /// The code `body` fails with, or nil when it succeeds.
    static func failure(_ body: () throws(IdentityError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.code.name
        }
    }

    /// Revocations as a verifier would hold them: one that does not open revokes nothing.
    static func verifier(revocations: [String]) -> ClaimVerifier {
        ClaimVerifier(revocations: revocations.compactMap { try? ClaimRevocation(opening: [UInt8](hex: $0)) })
    }

    /// The relying party the sign-in vectors assume: `audience` is its own, and a
    /// challenge with `nonce` is outstanding and expires at `expires` (the vector's or, absent,
    /// 60 s after `verifyAt`).
    static func relyingParty(
        audience: String, nonce: String, expires: UInt64?, verifyAt: UInt64
    ) throws -> SignInVerifier {
        var verifier = SignInVerifier(audience: try Audience(audience))
        let expires = expires ?? verifyAt + 60
        let challenge = verifier.challenge(nonce: [UInt8](hex: nonce), now: expires - SignInChallenge.lifetime)
        #expect(challenge.expires == expires)
        #expect(challenge.nonce.hex == nonce)
        #expect(verifier.outstandingCount == 1)
        return verifier
    }

    // MARK: - The files hold what the spec promises

    @Test func theFilesHoldTheCasesTheSpecPromises() {
        #expect(Self.claims.skewSeconds == ClaimVerifier.skew)
        #expect(Self.claims.valid.count >= 6)
        #expect(Self.claims.revocations.count >= 3)
        #expect(Self.claims.stillValid.count >= 3)
        #expect(Self.claims.presentations.count >= 3)
        #expect(
            Set(Self.claims.invalid.filter { $0.kind == "claim" }.map(\.error)) == [
                "badSignature", "wrongType", "malformed", "issuerMismatch", "notYetValid", "expired", "revoked",
            ])
        #expect(
            Set(Self.claims.invalid.filter { $0.kind == "presentation" }.map(\.error)) == [
                "badSignature", "wrongType", "malformed", "expired", "revoked", "subjectMismatch", "wrongAudience",
                "wrongNonce", "stale",
            ])
        #expect(Set(Self.claims.invalid.map(\.kind)) == ["claim", "presentation"])
        #expect(Self.claims.revocations.contains { $0.revokes != nil })
        #expect(Self.claims.revocations.contains { $0.revokes == nil })
        #expect(Self.links.valid.count >= 2)
        #expect(
            Set(Self.links.invalid.map(\.error)) == [
                "signerMismatch", "sameKey", "badSignature", "wrongType", "malformed",
            ])
        #expect(Self.signIn.valid.count >= 3)
        #expect(
            Set(Self.signIn.invalid.map(\.error)) == [
                "wrongAudience", "badSignature", "wrongType", "malformed", "stale",
            ])
    }

    /// JSON decoding must keep the bytes of an NFD audience, or the NFD-against-NFC vectors
    /// would compare equal strings and prove nothing.
    @Test func decodingKeepsTheNFDSpellingOfAudiences() throws {
        let nfd = try #require(Self.signIn.invalid.first { $0.name.contains("NFD") })
        #expect(Array(nfd.audience.utf8).hex == Array("Praxis Mu\u{0308}ller".utf8).hex)
        let presentation = try #require(
            Self.claims.invalid.first { $0.kind == "presentation" && $0.name.contains("NFD") })
        let expected = try #require(presentation.audience)
        let presented = try #require(Self.claims.presentations.first { $0.audience.unicodeScalars.contains("\u{E9}") })
        #expect(expected == presented.audience, "canonically equivalent for Swift's ==")
        #expect(Array(expected.utf8) != Array(presented.audience.utf8), "but other bytes")
    }

    // MARK: - Claims

    @Test(arguments: claims.valid)
    func aValidClaimOpensToItsFieldsAndVerifies(_ v: ValidClaim) throws {
        let bytes = [UInt8](hex: v.envelope)
        let signed = try SignedClaim(opening: bytes)
        let claim = signed.claim
        #expect(claim.issuer.description == v.issuer)
        #expect(claim.subject.description == v.subject)
        #expect(claim.type.rawValue == v.type)
        #expect(Array(claim.value.utf8) == Array(v.value.utf8))
        #expect(claim.issued == v.issued)
        #expect(claim.expires == v.expires)
        #expect((claim.revocationID?.hex ?? "") == v.revocationId)
        #expect(signed.envelope.payload.hex == v.payload)
        #expect(signed.envelope.bytes == bytes)
        #expect(signed.envelope.type == Claim.type)
        #expect(signed.id.description == v.id)
        #expect(claim.issuer.bytes == signed.envelope.signer.rawRepresentation)
        #expect(
            signed.revocationKey
                == claim.revocationID.map {
                    ClaimRevocation.Key(issuer: claim.issuer.bytes, revocationID: $0)
                })

        let verified = try ClaimVerifier().verify(claim: bytes, at: v.verifyAt)
        #expect(verified == signed)
    }

    @Test(arguments: claims.valid)
    func signingTheSameFieldsGivesTheSameBytes(_ v: ValidClaim) throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.signerSeed))
        let claim = try Claim(
            issuer: PartyID(parsing: v.issuer), subject: PartyID(parsing: v.subject), type: ClaimType(v.type),
            value: v.value, issued: v.issued, expires: v.expires,
            revocationID: v.revocationId.isEmpty ? nil : [UInt8](hex: v.revocationId))
        #expect(claim.payload.hex == v.payload)
        let signed = try claim.signed(with: key)
        #expect(signed.envelope.bytes.hex == v.envelope)
        #expect(signed.id.description == v.id)
        #expect(signed.claim == claim)
    }

    // MARK: - Revocations

    @Test(arguments: claims.revocations)
    func aRevocationOpensToItsFieldsAndSignsTheSame(_ v: Revocation) throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.signerSeed))
        let bytes = [UInt8](hex: v.envelope)
        let revocation = try ClaimRevocation(opening: bytes)
        #expect(revocation.revocationID.hex == v.revocationId)
        #expect(revocation.revokedAt == v.revokedAt)
        #expect(revocation.envelope.payload.hex == v.payload)
        #expect(revocation.envelope.type == ClaimRevocation.type)
        #expect(revocation.envelope.signer == key.publicKey)
        #expect(
            revocation.key
                == ClaimRevocation.Key(issuer: key.publicKey.rawRepresentation, revocationID: revocation.revocationID))

        let resigned = try ClaimRevocation.sign(revocationID: [UInt8](hex: v.revocationId), at: v.revokedAt, with: key)
        #expect(resigned.envelope.bytes == bytes)
    }

    /// Applied alone, a revocation revokes exactly the valid claim it names and no other.
    @Test(arguments: claims.revocations)
    func aRevocationRevokesExactlyTheClaimItNames(_ v: Revocation) throws {
        if let named = v.revokes {
            #expect(Self.claims.valid.contains { $0.name == named }, "the revoked claim is in the file")
        }
        let verifier = Self.verifier(revocations: [v.envelope])
        for claim in Self.claims.valid {
            let error = Self.failure { () throws(IdentityError) in
                try verifier.verify(claim: [UInt8](hex: claim.envelope), at: claim.verifyAt)
            }
            if claim.name == v.revokes {
                #expect(error == "revoked", "\(claim.name)")
            } else {
                #expect(error == nil, "\(claim.name)")
            }
        }
    }

    @Test(arguments: claims.stillValid)
    func aClaimStillVerifiesWithTheseRevocationsApplied(_ v: StillValid) throws {
        let revocations = try v.revocations.map { try ClaimRevocation(opening: [UInt8](hex: $0)) }
        #expect(!revocations.isEmpty)
        let claim = try ClaimVerifier(revocations: revocations).verify(claim: [UInt8](hex: v.envelope), at: v.verifyAt)
        #expect(claim.envelope.bytes.hex == v.envelope)
    }

    // MARK: - Presentations

    @Test(arguments: claims.presentations)
    func aPresentationVerifiesAndPresentingAgainGivesTheSameBytes(_ v: Presentation) throws {
        let named = try #require(Self.claims.valid.first { $0.name == v.claim })
        let bytes = [UInt8](hex: v.envelope)
        let audience = try Audience(v.audience)
        let nonce = [UInt8](hex: v.nonce)

        let presentation = try ClaimVerifier().verify(
            presentation: bytes, audience: audience, nonce: nonce, at: v.verifyAt)
        #expect(Array(presentation.audience.rawValue.utf8) == Array(v.audience.utf8))
        #expect(presentation.nonce == nonce)
        #expect(presentation.presented == v.presented)
        #expect(presentation.claim.envelope.bytes.hex == named.envelope)
        #expect(presentation.envelope.payload.hex == v.payload)
        #expect(presentation.envelope.type == ClaimPresentation.type)

        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.subjectSeed))
        #expect(presentation.envelope.signer == key.publicKey)
        let claim = try SignedClaim(opening: [UInt8](hex: named.envelope))
        let again = try ClaimPresentation.present(claim, to: audience, nonce: nonce, at: v.presented, with: key)
        #expect(again.envelope.bytes == bytes)
        #expect(again == presentation)
    }

    // MARK: - Refusals

    @Test(arguments: claims.invalid)
    func anInvalidClaimOrPresentationFailsWithItsCode(_ v: InvalidClaim) throws {
        let bytes = [UInt8](hex: v.envelope)
        let verifier = Self.verifier(revocations: v.revocations ?? [])
        let error: String?
        switch v.kind {
        case "claim":
            error = Self.failure { () throws(IdentityError) in try verifier.verify(claim: bytes, at: v.verifyAt) }
        case "presentation":
            let expectable = v.audience.flatMap { try? Audience($0) }
            if expectable == nil {
                #expect(v.error == "malformed", "only a presentation that fails to open may leave the audience unused")
            }
            let audience = expectable ?? Self.fallbackAudience
            let nonce = try #require(v.nonce.map { [UInt8](hex: $0) })
            error = Self.failure { () throws(IdentityError) in
                try verifier.verify(presentation: bytes, audience: audience, nonce: nonce, at: v.verifyAt)
            }
        default:
            Issue.record("unknown kind \(v.kind)")
            return
        }
        #expect(error == v.error)
    }

    // MARK: - Persona links

    @Test(arguments: links.valid)
    func aValidLinkOpensToItsFieldsAndLinkingAgainGivesTheSameBytes(_ v: ValidLink) throws {
        let first = try Ed25519.PrivateKey(seed: [UInt8](hex: v.firstSeed))
        let second = try Ed25519.PrivateKey(seed: [UInt8](hex: v.secondSeed))
        let bytes = [UInt8](hex: v.envelope)

        let link = try PersonaLink(opening: bytes)
        #expect(link.first.description == v.first)
        #expect(link.second.description == v.second)
        #expect(link.first.bytes == first.publicKey.rawRepresentation)
        #expect(link.second.bytes == second.publicKey.rawRepresentation)
        #expect(link.linkedAt == v.linkedAt)
        #expect(link.envelope.payload.hex == v.payload)
        #expect(link.envelope.signer == first.publicKey)
        #expect(link.envelope.type == PersonaLink.type)

        // The second signature: over the domain-tagged message, the payload's last 64 bytes.
        var message =
            Array("oms/v1/persona-link".utf8) + [0] + first.publicKey.rawRepresentation
            + second.publicKey.rawRepresentation
        message.appendBigEndian(v.linkedAt)
        #expect(message.hex == v.secondSignedMessage)
        #expect(second.signature(for: message).hex == v.secondSignature)
        #expect(Array(link.envelope.payload.suffix(Ed25519.signatureLength)).hex == v.secondSignature)

        let again = try PersonaLink.link(first, second, at: v.linkedAt)
        #expect(again.envelope.bytes == bytes)
        #expect(again == link)
    }

    @Test(arguments: links.invalid)
    func anInvalidLinkFailsWithItsCode(_ v: InvalidLink) {
        let error = Self.failure { () throws(IdentityError) in _ = try PersonaLink(opening: [UInt8](hex: v.envelope)) }
        #expect(error == v.error)
    }

    // MARK: - Sign-in

    @Test(arguments: signIn.valid)
    func aValidAnswerIsAcceptedAndAnsweringAgainGivesTheSameBytes(_ v: ValidSignIn) throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.personaSeed))
        let bytes = [UInt8](hex: v.envelope)

        let response = try SignInResponse(opening: bytes)
        #expect(Array(response.audience.rawValue.utf8) == Array(v.audience.utf8))
        #expect(response.nonce.hex == v.nonce)
        #expect(response.signedAt == v.signedAt)
        #expect(response.persona.description == v.persona)
        #expect(response.envelope.payload.hex == v.payload)
        #expect(response.envelope.type == SignInResponse.type)

        var verifier = try Self.relyingParty(
            audience: v.audience, nonce: v.nonce, expires: v.challengeExpires, verifyAt: v.verifyAt)
        let persona = try verifier.accept(bytes, now: v.verifyAt)
        #expect(persona.description == v.persona)
        #expect(persona.bytes == key.publicKey.rawRepresentation)
        #expect(verifier.outstandingCount == 0)

        let challenge = try SignInChallenge(
            audience: try Audience(v.audience), nonce: [UInt8](hex: v.nonce),
            expires: v.challengeExpires ?? v.verifyAt + 60)
        let again = SignInResponse.answer(challenge, at: v.signedAt, with: key)
        #expect(again.envelope.payload.hex == v.payload)
        #expect(again.envelope.bytes == bytes)
    }

    @Test(arguments: signIn.invalid)
    func anInvalidAnswerFailsWithItsCodeAndConsumesNothing(_ v: InvalidSignIn) throws {
        var verifier = try Self.relyingParty(
            audience: v.audience, nonce: v.nonce, expires: v.challengeExpires, verifyAt: v.verifyAt)
        let error = Self.failure { () throws(IdentityError) in
            _ = try verifier.accept([UInt8](hex: v.envelope), now: v.verifyAt)
        }
        #expect(error == v.error)
        #expect(verifier.outstandingCount == 1, "a refused answer consumes nothing")
    }
}
