import Foundation
import OMSCore
import OMSProtocol
import Testing

/// Policies as owners write them: the YAML form reads into exactly the rules it says, and each
/// kind of mistake is refused naming the rule and the problem.
struct PolicyYAMLTests {
    static let club = TCCID(uncheckedBytes: Array(repeating: 1, count: 32))

    static let example = """
        version: 1
        rules:
          - id: club-distance
            effect: permit
            principals:
              - members-of: \(club)
              - holds-claim: {type: member.garden-club, issuer: persona1abc}
            actions: [answer]
            streams: [gps]
            window: {from: 2026-01-01T00:00:00Z, to: 2026-12-31T23:59:59Z}
            region: {lat: 52.52, lon: 13.40, radius: 5000}
            answers: [distance, count]
            min-count: 10
            epsilon: 0.5
            budget: 2
            rate: {count: 10, seconds: 3600}
            purposes: [club-stats]
            expires: 2027-01-01T00:00:00Z
          - id: never-raw
            effect: forbid
            principals: [anyone]
            actions: [raw, export]
        """

    @Test func theExampleReadsIntoItsRules() throws {
        let policy = try PolicyDocument(yaml: Self.example)
        #expect(policy.rules.map(\.id) == ["club-distance", "never-raw"])
        let rule = policy.rules[0]
        #expect(rule.effect == .permit && rule.actions == [.answer] && rule.resources.streams == ["gps"])
        #expect(rule.principals == [.membersOf(Self.club), .holdsClaim(type: try ClaimType("member.garden-club"), issuer: "persona1abc")])
        #expect(rule.answers == ["distance", "count"])
        #expect(rule.conditions.minimumCount == 10 && rule.conditions.epsilon == 0.5 && rule.conditions.budget == 2)
        #expect(rule.conditions.rate == .init(count: 10, seconds: 3600) && rule.conditions.purposes == ["club-stats"])
        #expect(rule.conditions.expires == ISO8601DateFormatter().date(from: "2027-01-01T00:00:00Z"))
        #expect(rule.resources.window?.from == ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z"))
        #expect(rule.resources.region?.radius == 5000)
        #expect(policy.rules[1].effect == .forbid && policy.rules[1].principals == [.anyone] && policy.rules[1].actions == [.raw, .export])
    }

    @Test(arguments: [
        ("version: 2\nrules: []", "version 2"),
        ("rules: []", "version"),
        ("version: 1\nrules:\n  - id: a\n    effect: allow\n    principals: [anyone]\n    actions: [answer]", "permit or forbid"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: [everyone]\n    actions: [answer]", "principal 'everyone'"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: [anyone]\n    actions: [peek]", "action 'peek'"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: []\n    actions: [answer]", "at least one principal"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: [{persona: node1xyz}]\n    actions: [answer]", "needs a persona id"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: [anyone]\n    actions: [answer]\n    epsilon: -1", "epsilon must be positive"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: [anyone]\n    actions: [answer]\n    expires: tomorrow", "ISO 8601"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: [anyone]\n    actions: [answer]\n    region: {lat: 95, lon: 0, radius: 1}", "latitude"),
        ("version: 1\nrules:\n  - {id: a, effect: permit, principals: [anyone], actions: [answer]}\n  - {id: a, effect: forbid, principals: [anyone], actions: [raw]}", "two rules are named 'a'"),
        ("version: 1\nrules:\n  - id: 'has space'\n    effect: permit\n    principals: [anyone]\n    actions: [answer]", "must be 1 to 48 ASCII"),
        ("version: 1\nrules:\n  - id: 'café'\n    effect: permit\n    principals: [anyone]\n    actions: [answer]", "must be 1 to 48 ASCII"),
        ("version: 1\nrules:\n  - id: a\n    effect: permit\n    principals: [anyone]\n    actions: [answer]\n    rate: {count: 1, seconds: 100000}", "per 1 to 86400 seconds"),
        ("{{{ not yaml", "not a YAML policy"),
    ])
    func mistakesAreRefusedSayingWhere(yaml: String, expected: String) {
        do {
            _ = try PolicyDocument(yaml: yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description) should mention \(expected)")
        }
    }

    @Test func anOversizedPolicyIsRefusedBeforeParsing() {
        let huge = "version: 1\nrules: []\n#" + String(repeating: "x", count: PolicyDocument.maximumBytes)
        #expect(throws: PolicyError.self) { try PolicyDocument(yaml: huge) }
    }
}
