import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// How a decoded query becomes the answering node's inputs (`Query+Policy.swift`): the module
/// with its parameters, refused as `unknownModule` or `invalidParameter` when they do not fit
/// (protocol-spec/README.md section 13, "Modules"), and the request the policy decides on.
@Suite struct QueryPolicyTests {
    static let persona = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x61, count: 32))
    static let club = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x62, count: 32))
    static let target = TCCID(
        uncheckedBytes: try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x63, count: 32)).publicKey.rawRepresentation)
    static let personaID = PersonaID(uncheckedBytes: persona.publicKey.rawRepresentation)
    static let t0: UInt64 = 1_770_681_600_000
    static let region = try! Region(latitude: 47.3769, longitude: 8.5417, radius: 250)

    static func query(
        _ module: String, numbers: [Double] = [], region: Region? = nil, window: Query.Window? = nil, purpose: String? = nil,
        presentations: [[UInt8]] = [], queryID: [UInt8] = [UInt8](repeating: 7, count: 32)
    ) throws -> Query {
        try Query(
            requester: .persona(personaID), target: target, queryID: queryID, module: ModuleName(module), stream: "steps",
            window: window, numbers: numbers, region: region, purpose: purpose, issued: t0, expires: t0 + 60_000,
            presentations: presentations)
    }

    static func failure(_ query: Query) -> String? {
        do {
            _ = try query.answerModule()
            return nil
        } catch {
            return error.code.name
        }
    }

    @Test func everyBuiltInModuleMapsWithItsParameters() throws {
        #expect(try Self.query("count").answerModule() == .count)
        #expect(try Self.query("sum").answerModule() == .sum)
        #expect(try Self.query("mean").answerModule() == .mean)
        #expect(try Self.query("min").answerModule() == .min)
        #expect(try Self.query("max").answerModule() == .max)
        #expect(try Self.query("distance").answerModule() == .distance)
        #expect(try Self.query("histogram", numbers: [0, 5, 10]).answerModule() == .histogram(edges: [0, 5, 10]))
        #expect(try Self.query("quantiles", numbers: [0.5]).answerModule() == .quantiles([0.5]))
        #expect(try Self.query("time-inside", region: Self.region).answerModule() == .timeInside(Self.region))
        #expect(try Self.query("visited", region: Self.region).answerModule() == .visited(Self.region))
        #expect(try Self.query("last-area", numbers: [1000]).answerModule() == .lastArea(precision: 1000))
        // Each built-in name maps, and its name is the module's own.
        for name in ModuleName.builtIn {
            let parameters: (numbers: [Double], region: Region?) =
                switch name {
                case "histogram": ([0, 1], nil)
                case "quantiles", "last-area": ([100], nil)
                case "time-inside", "visited": ([], Self.region)
                default: ([], nil)
                }
            #expect(try Self.query(name, numbers: parameters.numbers, region: parameters.region).answerModule().name == name)
        }
    }

    @Test func parametersThatDoNotFitAreInvalidAndUnknownModulesUnknown() throws {
        #expect(Self.failure(try Self.query("count", numbers: [1])) == "invalidParameter")
        #expect(Self.failure(try Self.query("mean", region: Self.region)) == "invalidParameter")
        #expect(Self.failure(try Self.query("histogram", numbers: [1])) == "invalidParameter")
        #expect(Self.failure(try Self.query("histogram", numbers: [0, 1], region: Self.region)) == "invalidParameter")
        #expect(Self.failure(try Self.query("quantiles")) == "invalidParameter")
        #expect(Self.failure(try Self.query("visited")) == "invalidParameter")
        #expect(Self.failure(try Self.query("time-inside", numbers: [1], region: Self.region)) == "invalidParameter")
        #expect(Self.failure(try Self.query("last-area")) == "invalidParameter")
        #expect(Self.failure(try Self.query("last-area", numbers: [100, 200])) == "invalidParameter")
        #expect(Self.failure(try Self.query("median")) == "unknownModule")
        #expect(Self.failure(try Self.query("median", numbers: [1])) == "unknownModule", "an unknown module is told first")
    }

    @Test func thePolicyRequestCarriesTheQueryAndTheVerifiedClaims() throws {
        let queryID = [UInt8](repeating: 9, count: 32)
        let claim = try Claim(
            issuer: .tcc(TCCID(uncheckedBytes: Self.club.publicKey.rawRepresentation)), subject: .persona(Self.personaID),
            type: ClaimType("member.bike-club"), value: "true", issued: Self.t0 / 1000 - 100, expires: Self.t0 / 1000 + 86_400
        ).signed(with: Self.club)
        let presentation = try ClaimPresentation.present(
            claim, to: Audience(Self.target.description), nonce: queryID, at: Self.t0 / 1000, with: Self.persona)
        let window = try Query.Window(from: Self.t0 - 86_400_000, to: Self.t0)
        let query = try Self.query(
            "count", window: window, purpose: "club-stats", presentations: [presentation.envelope.bytes], queryID: queryID)
        let signed = try query.signed(with: Self.persona)
        let verified = try signed.verifyPresentations(with: ClaimVerifier(), at: Self.t0 + 999)
        #expect(verified == [presentation])

        let request = query.policyRequest(presentations: verified, now: Self.t0)
        #expect(request.requester.persona == Self.personaID)
        #expect(request.requester.tcc == nil)
        #expect(request.requester.claims == [
            PolicyRequest.HeldClaim(type: try ClaimType("member.bike-club"), issuer: claim.claim.issuer.description)
        ])
        #expect(request.action == .answer)
        #expect(request.stream == "steps")
        #expect(request.module == "count")
        #expect(request.purpose == "club-stats")
        #expect(request.window?.from == Date(timeIntervalSince1970: Double(Self.t0 - 86_400_000) / 1000))
        #expect(request.window?.to == Date(timeIntervalSince1970: Double(Self.t0) / 1000))
        #expect(request.now == Date(timeIntervalSince1970: Double(Self.t0) / 1000))

        // The same presentation in a query with another id fails: its nonce is the query id.
        let other = try Self.query("count", presentations: [presentation.envelope.bytes]).signed(with: Self.persona)
        let error = #expect(throws: ExchangeError.self) {
            _ = try other.verifyPresentations(with: ClaimVerifier(), at: Self.t0)
        }
        #expect(error?.code == .badPresentation)
    }

    @Test func anEmptyPurposeIsNoneAndEveryNaNIsWrittenOneWay() throws {
        #expect(try Self.query("count", purpose: "").purpose == nil)
        let negativeNaN = Double(bitPattern: 0xFFF8_0000_0000_0001)
        #expect(negativeNaN.isNaN)
        let answer = try Answer(
            query: ObjectID(uncheckedBytes: [UInt8](repeating: 1, count: 32)), target: Self.target, answered: Self.t0,
            value: .numbers([negativeNaN, .nan]), rules: [RuleID("r")])
        let canonical = try Answer(
            query: answer.query, target: Self.target, answered: Self.t0, value: .numbers([.nan, .nan]), rules: [RuleID("r")])
        #expect(answer.encodePayload() == canonical.encodePayload())
        #expect(answer == canonical, "answers are equal when their bytes are, NaN or not")
        #expect(answer.encodePayload().hex.contains("7ff80000000000007ff8000000000000"))
    }
}
