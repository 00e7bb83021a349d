import Foundation
import OMSProtocol

/// A policy turned into what a decision needs at speed: rules indexed by stream, and every
/// name and id a rule compares (answer modules, personas, TCCs, communities, claim types)
/// interned to a small integer once, so that matching a rule is integer comparisons. A request
/// is interned once per decision (`CompiledPolicy.Asked`), whatever the number of rules.
struct CompiledPolicy: Sendable {
    struct Rule: Sendable {
        var actions: UInt8
        var expires: Date?
        /// Interned answer modules; nil when the rule names none (all modules).
        var answers: [Int]?
        var purposes: Set<String>
        var window: TimeWindow?
        var region: Region?
        var principals: [Principal]
    }

    enum Principal: Sendable {
        case anyone
        case persona(Int)
        case tcc(Int)
        case membersOf(Int)
        case holdsClaim(type: Int, issuer: String?)
    }

    /// A request's facts in the interned numbering; unknown names map to nothing and so match
    /// no rule that names them.
    struct Asked {
        var action: UInt8
        var module: Int?
        var persona: Int?
        var tcc: Int?
        var memberships: [Int]
        var claims: [(type: Int, issuer: String)]
    }

    let rules: [Rule]
    let byStream: [String: [Int]]
    let anyStream: [Int]
    let modules: [String: Int]
    let parties: [[UInt8]: Int]
    let claimTypes: [String: Int]

    init(_ source: [PolicyRule]) {
        var modules: [String: Int] = [:]
        var parties: [[UInt8]: Int] = [:]
        var claimTypes: [String: Int] = [:]
        func intern<K: Hashable>(_ key: K, _ table: inout [K: Int]) -> Int {
            if let known = table[key] { return known }
            table[key] = table.count
            return table.count - 1
        }
        rules = source.map { rule in
            Rule(
                actions: rule.actions.reduce(0) { $0 | Self.bit($1) }, expires: rule.conditions.expires,
                answers: rule.answers.isEmpty ? nil : rule.answers.map { intern($0, &modules) },
                purposes: rule.conditions.purposes, window: rule.resources.window, region: rule.resources.region,
                principals: rule.principals.map { principal in
                    switch principal {
                    case .anyone: .anyone
                    case .persona(let id): .persona(intern(id.bytes, &parties))
                    case .tcc(let id): .tcc(intern(id.bytes, &parties))
                    case .membersOf(let id): .membersOf(intern(id.bytes, &parties))
                    case .holdsClaim(let type, let issuer): .holdsClaim(type: intern(type.rawValue, &claimTypes), issuer: issuer)
                    }
                })
        }
        let unrestricted = source.indices.filter { source[$0].resources.streams.isEmpty }
        var byStream: [String: [Int]] = [:]
        for (index, rule) in source.enumerated() {
            for stream in rule.resources.streams { byStream[stream, default: []].append(index) }
        }
        self.byStream = byStream.mapValues { Self.merge($0, unrestricted) }
        anyStream = unrestricted
        self.modules = modules
        self.parties = parties
        self.claimTypes = claimTypes
    }

    static func bit(_ action: PolicyAction) -> UInt8 {
        switch action {
        case .answer: 1
        case .runApp: 2
        case .export: 4
        case .raw: 8
        }
    }

    /// The indices of the rules that may concern `stream`, in document order.
    func candidates(for stream: String) -> [Int] { byStream[stream] ?? anyStream }

    func asked(_ request: PolicyRequest) -> Asked {
        let requester = request.requester
        return Asked(
            action: Self.bit(request.action), module: request.module.flatMap { modules[$0] },
            persona: requester.persona.flatMap { parties[$0.bytes] }, tcc: requester.tcc.flatMap { parties[$0.bytes] },
            memberships: requester.memberships.compactMap { parties[$0.bytes] },
            claims: requester.claims.compactMap { claim in claimTypes[claim.type.rawValue].map { ($0, claim.issuer) } })
    }

    /// Whether rule `index` matches; the stream is already known to be one it covers.
    func matches(_ index: Int, _ asked: Asked, _ request: PolicyRequest) -> Bool {
        let rule = rules[index]
        guard rule.actions & asked.action != 0 else { return false }
        if let expires = rule.expires, request.now >= expires { return false }
        if let answers = rule.answers {
            guard let module = asked.module, answers.contains(module) else { return false }
        }
        if let window = rule.window {
            guard let window2 = request.window, window.contains(window2) else { return false }
        }
        if let region = rule.region {
            guard let region2 = request.region, region.contains(region2) else { return false }
        }
        if !rule.purposes.isEmpty {
            guard let purpose = request.purpose, rule.purposes.contains(purpose) else { return false }
        }
        for principal in rule.principals {
            switch principal {
            case .anyone: return true
            case .persona(let id): if asked.persona == id { return true }
            case .tcc(let id): if asked.tcc == id { return true }
            case .membersOf(let id): if asked.memberships.contains(id) { return true }
            case .holdsClaim(let type, let issuer):
                if asked.claims.contains(where: { $0.type == type && (issuer == nil || $0.issuer == issuer) }) { return true }
            }
        }
        return false
    }

    static func merge(_ a: [Int], _ b: [Int]) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                result.append(a[i])
                i += 1
            } else {
                result.append(b[j])
                j += 1
            }
        }
        return result
    }
}
