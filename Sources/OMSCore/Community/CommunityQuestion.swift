import OMSProtocol

/// A question put to a community (protocol-spec §15, "Community questions"): who may ask it
/// (the manifest's `access`), which members answer (active, consenting to the terms in force)
/// and under which terms (the manifest's `consent`), and how the members' answers combine.
/// Each member's node applies the consent terms and its owner's policies together, the stricter
/// winning; the asker only adds the answers up.
extension CommunityState {
    /// Whether `persona` may ask the community `module` over `stream` under the manifest's access.
    public func mayAsk(_ persona: PersonaID, stream: String, module: String) -> Bool {
        guard let member = members[persona], member.status == .active, let manifest = manifest?.manifest else { return false }
        return manifest.access.contains { entry in
            let who: Bool =
                switch entry.who {
                case "members", "anyone": true
                default: entry.who.hasPrefix("role:") && member.roles.contains(String(entry.who.dropFirst(5)))
                }
            return who && entry.streams.contains(stream) && entry.answers.contains(module)
        }
    }

    /// The consent terms under which members answer `module` over `stream`; nil when the
    /// manifest's consent does not cover it (no member answers). Their obligations are
    /// `Manifest.Consent.conditions`.
    public func terms(stream: String, module: String) -> Manifest.Consent? {
        manifest?.manifest.consent.first { $0.stream == stream && $0.answers.contains(module) }
    }

    /// Whether a manifest whose consent section is `consent` asks what the one in force does:
    /// a community answers an institution only under the terms it agreed to.
    public func consentInForce(is consent: [Manifest.Consent]) -> Bool { manifest?.manifest.consent == consent }

    /// The members asked: active and consenting to the terms in force, by persona.
    public var answering: [PersonaID: Member] { members.filter { consents($0.key) } }
}

/// The modules a community can combine, and how: a count or sum adds up, a mean is the mean of
/// the members' means (each member weighs one), min and max are taken over the members, and
/// histograms (with the same edges) add bin by bin.
public enum CommunityAggregate {
    public static let modules: Set<String> = ["count", "sum", "mean", "min", "max", "histogram"]

    /// The answers that count, towards k too: of the module's shape, and not NaN ("no value",
    /// the mean of no records). An answer that adds nothing must not help release the others,
    /// nor turn the aggregate into NaN.
    public static func counted(_ module: String, _ answers: [AnswerValue]) -> [AnswerValue] {
        answers.filter { value in
            guard module == "histogram" else { return number(value).map { !$0.isNaN } ?? false }
            if case .counts = value { return true }
            return false
        }
    }

    /// Combines the members' values, once at least `minimumMembers` answered; nil otherwise (the
    /// aggregate is withheld rather than reveal a few members' answers).
    public static func combine(_ module: String, _ answers: [AnswerValue], minimumMembers: Int) -> AnswerValue? {
        let values = counted(module, answers)
        guard values.count >= max(1, minimumMembers) else { return nil }
        switch module {
        case "count", "sum":
            return .number(values.reduce(0) { $0 + (number($1) ?? 0) })
        case "mean":
            let numbers = values.compactMap(number)
            return numbers.isEmpty ? nil : .number(numbers.reduce(0, +) / Double(numbers.count))
        case "min": return values.compactMap(number).min().map(AnswerValue.number)
        case "max": return values.compactMap(number).max().map(AnswerValue.number)
        case "histogram":
            let all = values.compactMap { value -> [Double]? in
                if case .counts(let counts) = value { return counts }
                return nil
            }
            guard let first = all.first, all.allSatisfy({ $0.count == first.count }) else { return nil }
            return .counts(first.indices.map { index in all.reduce(0) { $0 + $1[index] } })
        default: return nil
        }
    }

    static func number(_ value: AnswerValue) -> Double? {
        if case .number(let x) = value { return x }
        return nil
    }
}

extension Manifest.Consent {
    /// The obligations these terms put on every answer, as the rule engine reads them.
    public var conditions: PolicyRule.Conditions { PolicyRule.Conditions(minimumCount: minimumCount, epsilon: epsilon, budget: budget) }
}

extension CommunityLog {
    /// A manifest this log holds (created with, changed to or proposed), by hash: the one an
    /// affiliation names may since have been replaced. The one in force costs nothing; another
    /// is looked for in the events.
    public func manifest(hash: [UInt8]) -> ManifestDocument? {
        if state.manifest?.hash == hash { return state.manifest }
        for event in events.values {
            switch event.event.body {
            case .create(_, _, _, let document) where document.hash == hash: return document
            case .action(.manifest(let document)) where document.hash == hash: return document
            case .propose(.manifest(let document)) where document.hash == hash: return document
            default: continue
            }
        }
        return nil
    }
}
