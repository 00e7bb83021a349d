import Foundation
import OMSProtocol

/// The decision half of the Policy Enforcement Point: matches a request against a policy
/// document. Pure; it examines only the rules that can concern the request's stream, with
/// names and ids interned to integers (`CompiledPolicy`), so that a decision over a hundred
/// rules takes microseconds (BENCHMARKS.md). Every query and every `oms policy test` runs it.
///
/// Semantics: a rule matches when one of its principals is the requester, the action is one of
/// its actions, the stream, time window and region fall within its resources, the answer
/// module is one it names (or it names none), the query states one of its purposes (if it
/// lists any), and it has not expired. Any matching `forbid` rule denies; otherwise any
/// matching `permit` rule permits, with the strictest of the permitting rules' conditions as
/// obligations; otherwise the request is denied by default.
public enum PolicyEngine {
    public static func decide(_ request: PolicyRequest, under policy: PolicyDocument) -> PolicyDecision {
        var permits: [PolicyRule] = []
        var forbids: [String] = []
        let compiled = policy.compiled
        let asked = compiled.asked(request)
        for index in compiled.candidates(for: request.stream) where compiled.matches(index, asked, request) {
            let rule = policy.rules[index]
            switch rule.effect {
            case .forbid: forbids.append(rule.id)
            case .permit: permits.append(rule)
            }
        }
        if !forbids.isEmpty {
            return PolicyDecision(
                effect: .deny, rules: forbids, reason: "forbidden by \(forbids.joined(separator: ", "))", obligations: .init())
        }
        guard !permits.isEmpty else {
            return PolicyDecision(
                effect: .deny, rules: [], reason: "no rule permits \(request.action.rawValue) on \(request.stream) (default deny)",
                obligations: .init())
        }
        let ids = permits.map(\.id)
        var rates: [PolicyRule.Rate] = []
        for rate in permits.compactMap(\.conditions.rate) where !rates.contains(rate) { rates.append(rate) }
        return PolicyDecision(
            effect: .permit, rules: ids, reason: "permitted by \(ids.joined(separator: ", "))",
            obligations: strictest(permits.map(\.conditions)), rates: rates)
    }

    /// The strictest of several rules' conditions: the largest minimum count, the smallest
    /// epsilon and budget, the tightest rate, the earliest expiry. Purposes already matched.
    static func strictest(_ all: [PolicyRule.Conditions]) -> PolicyRule.Conditions {
        var result = PolicyRule.Conditions()
        for c in all {
            if let k = c.minimumCount { result.minimumCount = max(result.minimumCount ?? k, k) }
            if let e = c.epsilon { result.epsilon = min(result.epsilon ?? e, e) }
            if let b = c.budget { result.budget = min(result.budget ?? b, b) }
            if let r = c.rate {
                // Compare as answers per second; keep the rule with the lower rate.
                if let current = result.rate {
                    if Double(r.count) / Double(r.seconds) < Double(current.count) / Double(current.seconds) { result.rate = r }
                } else {
                    result.rate = r
                }
            }
            if let x = c.expires { result.expires = min(result.expires ?? x, x) }
        }
        return result
    }
}
