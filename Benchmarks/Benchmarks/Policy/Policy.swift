// The rule engine's pure parts (issue 4): a policy decision over 100 rules, against the floor of
// touching each rule once (one set lookup per rule), and a mean over a million records, against
// a plain loop summing the same values. Per-iteration timings, so p99 is per decision.

import Benchmark
import Foundation
import OMSCore
import OMSProtocol

/// 100 rules as an owner might write them: 99 that do not match the request (other streams,
/// other communities, other modules), then the one that permits it, so every rule is examined.
struct PolicyFixture: Sendable {
    let policy: PolicyDocument
    let request: PolicyRequest
    let streams: [Set<String>]

    /// With `sameStream`, all 100 rules name the request's stream, so none is skipped by the
    /// stream index: the worst case for a policy of this size.
    init(sameStream: Bool) {
        let club = TCCID(uncheckedBytes: Array(repeating: 7, count: 32))
        var rules: [PolicyRule] = []
        for i in 0..<99 {
            let community = TCCID(uncheckedBytes: Array(repeating: UInt8(i % 250 + 1), count: 31) + [UInt8(i % 7)])
            rules.append(
                PolicyRule(
                    id: "rule-\(i)", effect: i % 10 == 0 ? .forbid : .permit,
                    principals: [.membersOf(community), .holdsClaim(type: try! ClaimType("type-\(i)"), issuer: nil)],
                    actions: [.answer], resources: .init(streams: sameStream ? ["steps", "gps-\(i)"] : ["stream-\(i)", "gps-\(i)"]),
                    answers: ["mean", "count"],
                    conditions: .init(minimumCount: 10, epsilon: 0.5)))
        }
        rules.append(
            PolicyRule(
                id: "club-steps", effect: .permit, principals: [.membersOf(club)], actions: [.answer],
                resources: .init(streams: ["steps"]), answers: ["mean"], conditions: .init(minimumCount: 10, epsilon: 0.5)))
        policy = try! PolicyDocument(rules: rules)
        request = PolicyRequest(
            requester: .init(persona: PersonaID(uncheckedBytes: Array(repeating: 3, count: 32)), memberships: [club]), action: .answer,
            stream: "steps", module: "mean", now: Date(timeIntervalSince1970: 1_800_000_000))
        streams = rules.map(\.resources.streams)
        precondition(PolicyEngine.decide(request, under: policy).rules == ["club-steps"], "the fixture's request must reach the last rule")
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 100,
        maxDuration: .seconds(5),
        maxIterations: 200_000
    )
    let fixture = PolicyFixture(sameStream: false)
    let worst = PolicyFixture(sameStream: true)

    Benchmark("Policy decision, 100 rules, the permit last") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(PolicyEngine.decide(fixture.request, under: fixture.policy))
        }
    }

    Benchmark("Policy decision, 100 rules all on the asked stream") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(PolicyEngine.decide(worst.request, under: worst.policy))
        }
    }

    Benchmark("Floor: one stream-set lookup per rule, 100 rules") { benchmark in
        for _ in benchmark.scaledIterations {
            var hits = 0
            for set in fixture.streams where set.contains(fixture.request.stream) { hits += 1 }
            blackHole(hits)
        }
    }

    let samples = (0..<1_000_000).map { NumericSample(time: Int64($0) * 1000, value: Double($0 % 20_000)) }
    let values = samples.map(\.value)

    Benchmark("Mean over 1,000,000 records (clamped)", configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 50)) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! AnswerModules.compute(.mean, over: samples, bounds: 0...100_000, minimumCount: 10))
        }
    }

    Benchmark("Floor: summing the same 1,000,000 doubles", configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 50)) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(values.reduce(0, +) / Double(values.count))
        }
    }
}
