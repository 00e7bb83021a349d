import Foundation
import OMSCore
import OMSProtocol
import OMSStore

/// The Policy Administration Point: named YAML policy documents per TCC, each versioned, every
/// change audited. The rule engine applies the current version of all of them together, a
/// rule known as `name/rule-id`, so a decision names the document and the rule that made it.
extension TCFHost {
    /// Sets a new version of a named policy, after checking it parses as a policy document.
    public func setPolicy(_ tcc: TCCRecord, name: Name, yaml: String) throws -> PolicyRecord {
        let document = try PolicyDocument(yaml: yaml)
        _ = try key(of: tcc.tcf)
        let record = try store.setPolicy(tcc: tcc.id, name: name, body: yaml, at: now())
        try audit(
            tcc, .policyChange,
            ["action": "policy.set", "policy": name.rawValue, "version": String(record.version), "rules": String(document.rules.count)])
        return record
    }

    public func removePolicy(_ tcc: TCCRecord, name: Name) throws {
        _ = try key(of: tcc.tcf)
        guard try store.removePolicy(tcc: tcc.id, name: name) else {
            throw HostingError(.notFound, "\(tcc.name) has no policy \(name) (see 'oms policy list')")
        }
        try audit(tcc, .policyChange, ["action": "policy.remove", "policy": name.rawValue])
    }

    public func policies(of tcc: TCCRecord) throws -> [PolicyRecord] { try store.policies(tcc: tcc.id) }

    /// Every version of one policy, oldest first.
    public func policyVersions(_ tcc: TCCRecord, name: Name) throws -> [PolicyRecord] {
        let versions = try store.policyVersions(tcc: tcc.id, name: name)
        guard !versions.isEmpty else { throw HostingError(.notFound, "\(tcc.name) has no policy \(name) (see 'oms policy list')") }
        return versions
    }

    /// The TCC's policies as one document, compiled once per set of versions. A stored text
    /// that no longer parses (set before policies were checked) contributes no rule: with
    /// default deny, an unreadable policy permits nothing.
    public func policy(of tcc: TCCRecord) throws -> PolicyDocument {
        let records = try store.policies(tcc: tcc.id)
        let versions = records.map { "\($0.name)@\($0.version)" }
        if let cached = compiledPolicies.withLock({ $0[tcc.id] }), cached.versions == versions { return cached.document }
        var rules: [PolicyRule] = []
        for record in records {
            guard let document = try? PolicyDocument(yaml: record.body) else { continue }
            rules += document.rules.map { rule in
                var rule = rule
                rule.id = "\(record.name)/\(rule.id)"
                return rule
            }
        }
        let document = try PolicyDocument(rules: rules)
        compiledPolicies.withLock { $0[tcc.id] = (versions, document) }
        return document
    }

    /// What the engine would decide for `request`, without answering anything: the owner's
    /// dry run of a query before a policy goes live (`oms policy test`).
    public func decide(_ request: PolicyRequest, for tcc: TCCRecord) throws -> PolicyDecision {
        PolicyEngine.decide(request, under: try policy(of: tcc))
    }
}
