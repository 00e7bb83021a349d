import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// The decision rules of the policy engine, one at a time: default deny, forbid wins, every
/// part of a rule narrowing it, and the strictest obligations of several permits.
struct PolicyEngineTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let club = TCCID(uncheckedBytes: Array(repeating: 1, count: 32))
    static let alice = PersonaID(uncheckedBytes: Ed25519.PrivateKey().publicKey.rawRepresentation)
    static let member = PolicyRequest.Requester(persona: alice, memberships: [club])
    static let stranger = PolicyRequest.Requester(persona: PersonaID(uncheckedBytes: Array(repeating: 9, count: 32)))

    static func ask(
        _ requester: PolicyRequest.Requester = member, _ action: PolicyAction = .answer, stream: String = "gps",
        module: String? = "distance", window: TimeWindow? = nil, region: Region? = nil, purpose: String? = nil, at now: Date = now
    ) -> PolicyRequest {
        PolicyRequest(requester: requester, action: action, stream: stream, module: module, window: window, region: region, purpose: purpose, now: now)
    }

    static let clubDistance = PolicyRule(
        id: "club-distance", effect: .permit, principals: [.membersOf(club)], actions: [.answer], resources: .init(streams: ["gps"]),
        answers: ["distance"], conditions: .init(minimumCount: 5, epsilon: 1.0))

    @Test func nothingIsAllowedWithoutARule() throws {
        let decision = PolicyEngine.decide(Self.ask(), under: try PolicyDocument(rules: []))
        #expect(!decision.isPermitted && decision.rules.isEmpty && decision.reason.contains("default deny"))
    }

    @Test func aMatchingPermitAllowsAndNamesItself() throws {
        let decision = PolicyEngine.decide(Self.ask(), under: try PolicyDocument(rules: [Self.clubDistance]))
        #expect(decision.isPermitted && decision.rules == ["club-distance"])
        #expect(decision.obligations.minimumCount == 5 && decision.obligations.epsilon == 1.0)
    }

    @Test func forbidWinsOverEveryPermit() throws {
        let noGPS = PolicyRule(id: "no-gps", effect: .forbid, principals: [.anyone], actions: [.answer, .raw], resources: .init(streams: ["gps"]))
        let decision = PolicyEngine.decide(Self.ask(), under: try PolicyDocument(rules: [Self.clubDistance, noGPS]))
        #expect(!decision.isPermitted && decision.rules == ["no-gps"] && decision.reason.contains("forbidden by no-gps"))
    }

    @Test func eachPartOfARuleNarrowsIt() throws {
        let policy = try PolicyDocument(rules: [Self.clubDistance])
        #expect(!PolicyEngine.decide(Self.ask(Self.stranger), under: policy).isPermitted, "not a member")
        #expect(!PolicyEngine.decide(Self.ask(Self.member, .raw), under: policy).isPermitted, "raw is not answer")
        #expect(!PolicyEngine.decide(Self.ask(stream: "heart_rate"), under: policy).isPermitted, "another stream")
        #expect(!PolicyEngine.decide(Self.ask(module: "histogram"), under: policy).isPermitted, "another answer module")
        #expect(!PolicyEngine.decide(Self.ask(module: nil), under: policy).isPermitted, "no module named")
    }

    @Test func windowsRegionsPurposesAndExpiry() throws {
        let year = try TimeWindow(from: Date(timeIntervalSince1970: 1_790_000_000), to: Date(timeIntervalSince1970: 1_820_000_000))
        let city = try Region(latitude: 52.52, longitude: 13.40, radius: 20_000)
        let rule = PolicyRule(
            id: "r", effect: .permit, principals: [.anyone], actions: [.answer], resources: .init(window: year, region: city),
            conditions: .init(purposes: ["research"], expires: Self.now.addingTimeInterval(60)))
        let policy = try PolicyDocument(rules: [rule])
        let inside = try TimeWindow(from: Date(timeIntervalSince1970: 1_795_000_000), to: Date(timeIntervalSince1970: 1_796_000_000))
        let straddling = try TimeWindow(from: Date(timeIntervalSince1970: 1_785_000_000), to: Date(timeIntervalSince1970: 1_796_000_000))
        let park = try Region(latitude: 52.51, longitude: 13.35, radius: 1_000)
        let munich = try Region(latitude: 48.14, longitude: 11.58, radius: 1_000)
        #expect(PolicyEngine.decide(Self.ask(window: inside, region: park, purpose: "research"), under: policy).isPermitted)
        #expect(!PolicyEngine.decide(Self.ask(window: straddling, region: park, purpose: "research"), under: policy).isPermitted)
        #expect(!PolicyEngine.decide(Self.ask(window: nil, region: park, purpose: "research"), under: policy).isPermitted, "a windowed rule needs a window")
        #expect(!PolicyEngine.decide(Self.ask(window: inside, region: munich, purpose: "research"), under: policy).isPermitted)
        #expect(!PolicyEngine.decide(Self.ask(window: inside, region: park, purpose: "marketing"), under: policy).isPermitted)
        #expect(
            !PolicyEngine.decide(Self.ask(window: inside, region: park, purpose: "research", at: Self.now.addingTimeInterval(60)), under: policy)
                .isPermitted, "lapsed at its expiry")
    }

    @Test func claimHoldersByTypeAndIssuer() throws {
        let type = try ClaimType("age.over-18")
        let rule = PolicyRule(id: "adults", effect: .permit, principals: [.holdsClaim(type: type, issuer: "persona1issuer")], actions: [.answer])
        let policy = try PolicyDocument(rules: [rule])
        let holder = PolicyRequest.Requester(claims: [.init(type: type, issuer: "persona1issuer")])
        let otherIssuer = PolicyRequest.Requester(claims: [.init(type: type, issuer: "persona1someone-else")])
        #expect(PolicyEngine.decide(Self.ask(holder), under: policy).isPermitted)
        #expect(!PolicyEngine.decide(Self.ask(otherIssuer), under: policy).isPermitted)
    }

    @Test func severalPermitsGiveTheStrictestObligations() throws {
        let a = PolicyRule(
            id: "a", effect: .permit, principals: [.anyone], actions: [.answer],
            conditions: .init(minimumCount: 5, epsilon: 1.0, budget: 10, rate: .init(count: 10, seconds: 60)))
        let b = PolicyRule(
            id: "b", effect: .permit, principals: [.persona(Self.alice)], actions: [.answer],
            conditions: .init(minimumCount: 20, epsilon: 0.1, budget: 3, rate: .init(count: 100, seconds: 3600)))
        let decision = PolicyEngine.decide(Self.ask(), under: try PolicyDocument(rules: [a, b]))
        #expect(decision.rules == ["a", "b"])
        #expect(decision.obligations.minimumCount == 20 && decision.obligations.epsilon == 0.1 && decision.obligations.budget == 3)
        #expect(decision.obligations.rate == .init(count: 100, seconds: 3600), "100 per hour is stricter than 10 per minute")
    }

    @Test func decisionsNameRulesInDocumentOrderWhateverTheirStreams() throws {
        let any1 = PolicyRule(id: "any-1", effect: .permit, principals: [.anyone], actions: [.answer])
        let gps = PolicyRule(id: "gps", effect: .permit, principals: [.anyone], actions: [.answer], resources: .init(streams: ["gps", "steps"]))
        let any2 = PolicyRule(id: "any-2", effect: .permit, principals: [.anyone], actions: [.answer])
        let policy = try PolicyDocument(rules: [any1, gps, any2])
        #expect(PolicyEngine.decide(Self.ask(stream: "gps"), under: policy).rules == ["any-1", "gps", "any-2"])
        #expect(PolicyEngine.decide(Self.ask(stream: "steps"), under: policy).rules == ["any-1", "gps", "any-2"])
        #expect(PolicyEngine.decide(Self.ask(stream: "heart_rate"), under: policy).rules == ["any-1", "any-2"])
    }

    @Test func duplicateRuleIdsAndBadValuesAreRefused() throws {
        #expect(throws: PolicyError.self) { try PolicyDocument(rules: [Self.clubDistance, Self.clubDistance]) }
        #expect(throws: PolicyError.self) { try Region(latitude: 91, longitude: 0, radius: 1) }
        #expect(throws: PolicyError.self) { try Region(latitude: 0, longitude: 0, radius: 0) }
        #expect(throws: PolicyError.self) { try TimeWindow(from: Self.now, to: Self.now.addingTimeInterval(-1)) }
    }

    @Test func distanceIsTheGreatCircle() {
        // One degree of latitude is ~111.2 km; Berlin to Munich is ~504 km.
        #expect(abs(Region.distance((0, 0), (1, 0)) - 111_195) < 10)
        #expect(abs(Region.distance((52.52, 13.405), (48.137, 11.575)) - 504_000) < 2_000)
        #expect(Region.distance((10, 10), (10, 10)) == 0)
    }
}
