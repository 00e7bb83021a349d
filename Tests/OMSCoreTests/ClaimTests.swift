import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import Testing

/// The rules of protocol-spec/README.md section 8 that hold before anything is signed, and the
/// time boundaries of verification, with hand-built claims.
@Suite struct ClaimTests {
    static let issuerKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x11, count: 32))
    static let subjectKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x22, count: 32))
    static let otherKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x33, count: 32))

    static func persona(_ key: Ed25519.PrivateKey) -> PartyID {
        .persona(PersonaID(uncheckedBytes: key.publicKey.rawRepresentation))
    }

    static let issuer = persona(issuerKey)
    static let subject = persona(subjectKey)
    static let ageOver18 = try! ClaimType("age.over-18")
    static let issued: UInt64 = 1_767_225_600
    static let expires: UInt64 = issued + 86_400

    static func claim(
        issuer: PartyID = ClaimTests.issuer, subject: PartyID = ClaimTests.subject, value: String = "true",
        issued: UInt64 = ClaimTests.issued, expires: UInt64 = ClaimTests.expires, revocationID: [UInt8]? = nil
    ) throws(IdentityError) -> Claim {
        try Claim(
            issuer: issuer, subject: subject, type: Self.ageOver18, value: value, issued: issued, expires: expires,
            revocationID: revocationID)
    }

    /// The code `body` fails with, or nil when it succeeds.
    static func failure(_ body: () throws(IdentityError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.code.name
        }
    }

    /// The code verifying claim `bytes` at `now` fails with, or nil when the claim holds.
    static func refusal(_ bytes: [UInt8], at now: UInt64, revocations: [ClaimRevocation] = []) -> String? {
        failure { () throws(IdentityError) in try ClaimVerifier(revocations: revocations).verify(claim: bytes, at: now)
        }
    }

    // MARK: - Building a claim

    @Test func aNodeOrTCFCannotIssueAClaim() throws {
        let bytes = Self.issuerKey.publicKey.rawRepresentation
        let node = PartyID.node(NodeID(uncheckedBytes: bytes))
        let tcf = PartyID.tcf(TCFID(uncheckedBytes: bytes))
        #expect(Self.failure { () throws(IdentityError) in _ = try Self.claim(issuer: node) } == "malformed")
        #expect(Self.failure { () throws(IdentityError) in _ = try Self.claim(issuer: tcf) } == "malformed")
        // ...but either can be what a claim is about, and a TCC can issue.
        _ = try Self.claim(subject: node)
        _ = try Self.claim(subject: tcf)
        _ = try Self.claim(issuer: .tcc(TCCID(uncheckedBytes: bytes)))
    }

    @Test func aValueIsAtMost4096Bytes() throws {
        let longest = String(repeating: "a", count: Claim.maximumValueLength)
        #expect(Claim.maximumValueLength == 4096)
        #expect(try Self.claim(value: longest).value == longest)
        #expect(Self.failure { () throws(IdentityError) in _ = try Self.claim(value: longest + "a") } == "malformed")
        // Bytes, not characters: 2048 two-byte characters fit, one more does not.
        let twoByte = String(repeating: "é", count: 2048)
        _ = try Self.claim(value: twoByte)
        #expect(Self.failure { () throws(IdentityError) in _ = try Self.claim(value: twoByte + "a") } == "malformed")
    }

    @Test func aClaimExpiresAfterItIsIssued() throws {
        #expect(Self.failure { () throws(IdentityError) in _ = try Self.claim(expires: Self.issued) } == "malformed")
        #expect(
            Self.failure { () throws(IdentityError) in _ = try Self.claim(expires: Self.issued - 1) } == "malformed")
        #expect(try Self.claim(expires: Self.issued + 1).expires == Self.issued + 1)
    }

    @Test(arguments: [0, 1, 15, 17, 32])
    func aRevocationIDIsSixteenBytes(_ length: Int) {
        let id = [UInt8](repeating: 9, count: length)
        #expect(Self.failure { () throws(IdentityError) in _ = try Self.claim(revocationID: id) } == "malformed")
    }

    @Test func aSixteenByteRevocationIDRoundTrips() throws {
        let id = [UInt8](repeating: 9, count: Claim.revocationIDLength)
        let signed = try Self.claim(revocationID: id).signed(with: Self.issuerKey)
        let opened = try SignedClaim(opening: signed.envelope.bytes)
        #expect(opened.claim.revocationID == id)
        #expect(
            opened.revocationKey
                == ClaimRevocation.Key(issuer: Self.issuerKey.publicKey.rawRepresentation, revocationID: id))
        let unrevocable = try SignedClaim(opening: try Self.claim().signed(with: Self.issuerKey).envelope.bytes)
        #expect(unrevocable.claim.revocationID == nil)
        #expect(unrevocable.revocationKey == nil)
    }

    // MARK: - Signing and presenting

    @Test func onlyTheIssuersKeySignsAClaim() throws {
        let claim = try Self.claim()
        #expect(
            Self.failure { () throws(IdentityError) in _ = try claim.signed(with: Self.otherKey) } == "issuerMismatch")
        #expect(
            Self.failure { () throws(IdentityError) in _ = try claim.signed(with: Self.subjectKey) } == "issuerMismatch"
        )
        let signed = try claim.signed(with: Self.issuerKey)
        #expect(signed.envelope.signer == Self.issuerKey.publicKey)
        #expect(try SignedClaim(opening: signed.envelope.bytes) == signed)
    }

    @Test func onlyTheSubjectsKeyPresentsAClaim() throws {
        let signed = try Self.claim().signed(with: Self.issuerKey)
        let audience = try Audience("bike-club.example")
        let nonce = [UInt8](repeating: 7, count: ClaimPresentation.nonceLength)
        let now = Self.issued + 60
        for key in [Self.otherKey, Self.issuerKey] {
            #expect(
                Self.failure { () throws(IdentityError) in
                    _ = try ClaimPresentation.present(signed, to: audience, nonce: nonce, at: now, with: key)
                } == "subjectMismatch")
        }
        let presentation = try ClaimPresentation.present(
            signed, to: audience, nonce: nonce, at: now, with: Self.subjectKey)
        #expect(presentation.envelope.signer == Self.subjectKey.publicKey)
        let verified = try ClaimVerifier().verify(
            presentation: presentation.envelope.bytes, audience: audience, nonce: nonce, at: now)
        #expect(verified.claim == signed)
    }

    /// A node's key matches its id's bytes, but a claim about a node cannot be presented.
    @Test func aClaimAboutANodeCannotBePresentedEvenWithItsKey() throws {
        let node = PartyID.node(NodeID(publicKey: Self.subjectKey.publicKey))
        let signed = try Self.claim(subject: node).signed(with: Self.issuerKey)
        let nonce = [UInt8](repeating: 7, count: ClaimPresentation.nonceLength)
        #expect(
            Self.failure { () throws(IdentityError) in
                _ = try ClaimPresentation.present(
                    signed, to: try Audience("bike-club.example"), nonce: nonce, at: Self.issued, with: Self.subjectKey)
            } == "subjectMismatch")
    }

    @Test func aPresentationNonceIs32Bytes() throws {
        let signed = try Self.claim().signed(with: Self.issuerKey)
        let audience = try Audience("bike-club.example")
        for length in [0, 31, 33] {
            #expect(
                Self.failure { () throws(IdentityError) in
                    _ = try ClaimPresentation.present(
                        signed, to: audience, nonce: [UInt8](repeating: 7, count: length), at: Self.issued,
                        with: Self.subjectKey)
                } == "malformed")
        }
    }

    // MARK: - Time

    @Test func aClaimIssuedUpTo300SecondsAheadIsValid() throws {
        let now = Self.issued - 300
        let bytes = try Self.claim().signed(with: Self.issuerKey).envelope.bytes
        #expect(Self.refusal(bytes, at: now) == nil)
        #expect(Self.refusal(bytes, at: now - 1) == "notYetValid")
        // Far in the past of the claim, without wrapping around.
        #expect(Self.refusal(bytes, at: 0) == "notYetValid")
    }

    @Test func aClaimExpiresAtItsExpiryTime() throws {
        let bytes = try Self.claim().signed(with: Self.issuerKey).envelope.bytes
        #expect(Self.refusal(bytes, at: Self.expires - 1) == nil)
        #expect(Self.refusal(bytes, at: Self.expires) == "expired")
        #expect(Self.refusal(bytes, at: .max) == "expired")
    }

    @Test func aRevocationBySomeoneElseRevokesNothing() throws {
        let id = [UInt8](repeating: 5, count: Claim.revocationIDLength)
        let bytes = try Self.claim(revocationID: id).signed(with: Self.issuerKey).envelope.bytes
        let byIssuer = try ClaimRevocation.sign(revocationID: id, at: Self.issued, with: Self.issuerKey)
        let byOther = try ClaimRevocation.sign(revocationID: id, at: Self.issued, with: Self.otherKey)
        #expect(Self.refusal(bytes, at: Self.issued, revocations: [byOther]) == nil)
        #expect(Self.refusal(bytes, at: Self.issued, revocations: [byOther, byIssuer]) == "revoked")
    }

    /// The vectors hold no refused revocations: the payload is exactly 25 bytes of version 1.
    @Test func aRevocationIsExactly25BytesOfVersion1() throws {
        var good: [UInt8] = [1] + [UInt8](repeating: 5, count: Claim.revocationIDLength)
        good.appendBigEndian(Self.issued)
        let opened = try ClaimRevocation(
            opening: Envelope.sign(type: ClaimRevocation.type, payload: good, with: Self.issuerKey).bytes)
        #expect(opened.revocationID == [UInt8](repeating: 5, count: Claim.revocationIDLength))
        #expect(opened.revokedAt == Self.issued)
        #expect(
            opened
                == (try ClaimRevocation.sign(revocationID: opened.revocationID, at: Self.issued, with: Self.issuerKey)))

        let bad: [[UInt8]] = [[], Array(good.dropLast()), good + [0], [2] + good.dropFirst(), [0] + good.dropFirst()]
        for payload in bad {
            let bytes = Envelope.sign(type: ClaimRevocation.type, payload: payload, with: Self.issuerKey).bytes
            #expect(
                Self.failure { () throws(IdentityError) in _ = try ClaimRevocation(opening: bytes) } == "malformed",
                "\(payload.hex)")
        }
        let asNote = Envelope.sign(type: .note, payload: good, with: Self.issuerKey).bytes
        #expect(Self.failure { () throws(IdentityError) in _ = try ClaimRevocation(opening: asNote) } == "wrongType")
        #expect(
            Self.failure { () throws(IdentityError) in
                _ = try ClaimRevocation.sign(revocationID: [1, 2, 3], at: Self.issued, with: Self.issuerKey)
            } == "malformed")
    }

    // MARK: - Party ids

    @Test func aPartyIDIsExactlyThePrintedForm() throws {
        let persona = PersonaID(uncheckedBytes: Self.subjectKey.publicKey.rawRepresentation)
        let text = persona.description
        #expect(try PartyID(parsing: text) == .persona(persona))
        #expect(try PartyID(parsing: text).bytes == persona.bytes)
        for bad in [text.uppercased(), " " + text, text + " ", text + "\n", "\t" + text] {
            #expect(
                Self.failure { () throws(IdentityError) in _ = try PartyID(parsing: bad) } == "malformed",
                "\(bad.debugDescription)")
        }
    }

    @Test func theKindIsPartOfTheParty() throws {
        let bytes = Self.subjectKey.publicKey.rawRepresentation
        let tcc = TCCID(uncheckedBytes: bytes)
        #expect(try PartyID(parsing: tcc.description) == .tcc(tcc))
        #expect(try PartyID(parsing: NodeID(uncheckedBytes: bytes).description) == .node(NodeID(uncheckedBytes: bytes)))
        #expect(try PartyID(parsing: TCFID(uncheckedBytes: bytes).description) == .tcf(TCFID(uncheckedBytes: bytes)))
        #expect(PartyID.tcc(tcc) != .persona(PersonaID(uncheckedBytes: bytes)))
    }

    @Test func anObjectIDIsNotAParty() {
        let object = ObjectID(uncheckedBytes: [UInt8](repeating: 1, count: 32)).description
        #expect(object.hasPrefix("obj1"))
        #expect(Self.failure { () throws(IdentityError) in _ = try PartyID(parsing: object) } == "malformed")
        #expect(Self.failure { () throws(IdentityError) in _ = try PartyID(parsing: "") } == "malformed")
        #expect(Self.failure { () throws(IdentityError) in _ = try PartyID(parsing: "persona") } == "malformed")
    }

    // MARK: - Audiences and claim types

    @Test func anAudienceIs1To128BytesWithoutControlCharacters() throws {
        let longest = String(repeating: "a", count: Audience.maximumLength)
        #expect(try Audience(longest).rawValue == longest)
        for bad in ["", longest + "a", "\n", "bike-club.example\n", "a\u{7F}", "a\u{85}", "a\u{0}"] {
            #expect(
                Self.failure { () throws(IdentityError) in _ = try Audience(bad) } == "malformed",
                "\(bad.debugDescription)")
        }
        // 128 bytes, not characters.
        #expect(
            Self.failure { () throws(IdentityError) in _ = try Audience(String(repeating: "é", count: 65)) }
                == "malformed")
        _ = try Audience(String(repeating: "é", count: 64))
    }

    @Test func audiencesCompareByteForByte() throws {
        let nfc = "Praxis M\u{FC}ller"
        let nfd = "Praxis Mu\u{308}ller"
        #expect(nfc == nfd, "Swift's String equates them")
        let a = try Audience(nfc)
        let b = try Audience(nfd)
        #expect(a != b)
        #expect(Set([a, b]).count == 2)
        #expect(a == (try Audience(nfc)))
        #expect(try Audience("Bike-Club.example") != Audience("bike-club.example"))
    }

    @Test func aClaimTypeFollowsTheEnvelopeTypeRule() throws {
        #expect(try ClaimType("age.over-18").rawValue == "age.over-18")
        _ = try ClaimType("member/bike_club")
        _ = try ClaimType(String(repeating: "a", count: 64))
        for bad in ["Age", "", String(repeating: "a", count: 65), "age over 18", "âge"] {
            #expect(
                Self.failure { () throws(IdentityError) in _ = try ClaimType(bad) } == "malformed",
                "\(bad.debugDescription)")
        }
    }
}
