import Foundation
import OMSProtocol

/// The decision half of the Policy Enforcement Point: matches a request against a policy
/// document. Pure and allocation-light (a decision over 100 rules is a few microseconds), so
/// every query and every `oms policy test` runs the same code.
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
        for rule in policy.rules where matches(rule, request) {
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
        return PolicyDecision(
            effect: .permit, rules: ids, reason: "permitted by \(ids.joined(separator: ", "))",
            obligations: strictest(permits.map(\.conditions)))
    }

    static func matches(_ rule: PolicyRule, _ request: PolicyRequest) -> Bool {
        guard rule.actions.contains(request.action) else { return false }
        if let expires = rule.conditions.expires, request.now >= expires { return false }
        if !rule.resources.streams.isEmpty, !rule.resources.streams.contains(request.stream) { return false }
        if let window = rule.resources.window {
            guard let asked = request.window, window.contains(asked) else { return false }
        }
        if let region = rule.resources.region {
            guard let asked = request.region, region.contains(asked) else { return false }
        }
        if !rule.answers.isEmpty {
            guard let module = request.module, rule.answers.contains(module) else { return false }
        }
        if !rule.conditions.purposes.isEmpty {
            guard let purpose = request.purpose, rule.conditions.purposes.contains(purpose) else { return false }
        }
        return rule.principals.contains { matches($0, request.requester) }
    }

    static func matches(_ principal: PolicyRule.Principal, _ requester: PolicyRequest.Requester) -> Bool {
        switch principal {
        case .anyone: true
        case .persona(let id): requester.persona == id
        case .tcc(let id): requester.tcc == id
        case .membersOf(let community): requester.memberships.contains(community)
        case .holdsClaim(let type, let issuer):
            requester.claims.contains { $0.type == type && (issuer == nil || $0.issuer == issuer) }
        }
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
