import Foundation
import OMSProtocol
import Yams

/// Reading a policy from the YAML an owner writes:
///
/// ```yaml
/// version: 1
/// rules:
///   - id: club-distance            # unique; named in every decision it makes
///     effect: permit               # or forbid
///     principals:                  # any of: anyone | persona: ID | tcc: ID | members-of: TCC-ID
///       - members-of: tcc1...      #         | holds-claim: TYPE | holds-claim: {type: T, issuer: ID}
///     actions: [answer]            # answer, run-app, export, raw
///     streams: [gps]               # optional: all streams when absent
///     window: {from: 2026-01-01T00:00:00Z, to: 2026-12-31T23:59:59Z}   # optional
///     region: {lat: 52.52, lon: 13.40, radius: 5000}                   # optional, metres
///     answers: [distance, count]   # optional: all answer modules when absent
///     min-count: 10                # conditions, all optional
///     epsilon: 0.5
///     budget: 2.0
///     rate: {count: 10, seconds: 3600}
///     purposes: [club-stats]
///     expires: 2027-01-01T00:00:00Z
/// ```
///
/// Every mistake is refused with the rule it is in and what is wrong; nothing is guessed.
extension PolicyDocument {
    public init(yaml text: String) throws(PolicyError) {
        guard text.utf8.count <= Self.maximumBytes else {
            throw PolicyError(.tooLarge, "\(text.utf8.count) bytes; a policy is at most \(Self.maximumBytes)")
        }
        let wire: WirePolicy
        do {
            wire = try YAMLDecoder().decode(WirePolicy.self, from: text)
        } catch let error as PolicyError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw PolicyError(.malformed, "\(Self.path(context.codingPath)) lacks '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw PolicyError(.malformed, "\(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw PolicyError(.malformed, "not a YAML policy: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw PolicyError(.malformed, "\(Self.path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw PolicyError(.malformed, "not a YAML policy: \(error)")
        }
        guard wire.version == Self.version else {
            throw PolicyError(.malformed, "version \(wire.version); this node reads version \(Self.version)")
        }
        guard wire.rules.count <= Self.maximumRules else {
            throw PolicyError(.tooLarge, "\(wire.rules.count) rules; a policy holds at most \(Self.maximumRules)")
        }
        var rules: [PolicyRule] = []
        for (index, rule) in wire.rules.enumerated() {
            rules.append(try rule.rule(at: index))
        }
        try self.init(rules: rules)
    }

    static func isRuleIDByte(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D || b == 0x5F || b == 0x2E
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the document" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

private struct WirePolicy: Decodable {
    var version: Int
    var rules: [WireRule]
}

private struct WireRule: Decodable {
    var id: String
    var effect: String
    var principals: [WirePrincipal]
    var actions: [String]
    var streams: [String]?
    var window: WireWindow?
    var region: WireRegion?
    var answers: [String]?
    var minCount: Int?
    var epsilon: Double?
    var budget: Double?
    var rate: WireRate?
    var purposes: [String]?
    var expires: String?

    enum CodingKeys: String, CodingKey {
        case id, effect, principals, actions, streams, window, region, answers, epsilon, budget, rate, purposes, expires
        case minCount = "min-count"
    }

    func rule(at index: Int) throws(PolicyError) -> PolicyRule {
        let name = "rule \(index + 1)"
        // ASCII, so that a rule id (prefixed with its policy's name) fits a signed answer's rule list.
        guard (1...48).contains(id.utf8.count), id.utf8.allSatisfy(PolicyDocument.isRuleIDByte)
        else {
            throw PolicyError(.malformed, "\(name): id '\(id.printable(limit: 64))' must be 1 to 48 ASCII letters, digits and - _ .")
        }
        let at = "rule '\(id)'"
        guard let effect = PolicyRule.Effect(rawValue: effect) else {
            throw PolicyError(.malformed, "\(at): effect is permit or forbid, not '\(effect.printable(limit: 32))'")
        }
        guard !principals.isEmpty else { throw PolicyError(.malformed, "\(at): name at least one principal (or 'anyone')") }
        var actionSet: Set<PolicyAction> = []
        for text in actions {
            guard let action = PolicyAction(rawValue: text) else {
                throw PolicyError(.malformed, "\(at): action '\(text.printable(limit: 32))' is not answer, run-app, export or raw")
            }
            actionSet.insert(action)
        }
        guard !actionSet.isEmpty else { throw PolicyError(.malformed, "\(at): name at least one action") }
        if let epsilon, !(epsilon > 0 && epsilon.isFinite) { throw PolicyError(.invalidValue, "\(at): epsilon must be positive") }
        if let budget, !(budget > 0 && budget.isFinite) { throw PolicyError(.invalidValue, "\(at): budget must be positive") }
        if let minCount, minCount < 1 { throw PolicyError(.invalidValue, "\(at): min-count must be at least 1") }
        if let rate, rate.count < 1 || rate.seconds < 1 || rate.seconds > PolicyRule.Rate.maximumSeconds || rate.count > 1_000_000 {
            throw PolicyError(
                .invalidValue, "\(at): a rate is 1 to 1,000,000 answers per 1 to \(PolicyRule.Rate.maximumSeconds) seconds (a day)")
        }
        var principalList: [PolicyRule.Principal] = []
        for principal in principals { principalList.append(try principal.principal(in: at)) }
        return PolicyRule(
            id: id, effect: effect, principals: principalList, actions: actionSet,
            resources: .init(
                streams: Set(streams ?? []), window: try window?.window(in: at), region: try region?.region(in: at)),
            answers: Set(answers ?? []),
            conditions: .init(
                minimumCount: minCount, epsilon: epsilon, budget: budget,
                rate: rate.map { PolicyRule.Rate(count: $0.count, seconds: $0.seconds) }, purposes: Set(purposes ?? []),
                expires: try expires.map { text throws(PolicyError) in try parseTime(text, in: at, field: "expires") }))
    }
}

/// `anyone`, or a one-key mapping naming the kind of principal.
private struct WirePrincipal: Decodable {
    var kind: String
    var value: String?
    var issuer: String?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct ClaimSpec: Decodable {
        var type: String
        var issuer: String?
    }

    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            kind = text
            return
        }
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a principal has exactly one kind"))
        }
        kind = key.stringValue
        if kind == "holds-claim", let spec = try? container.decode(ClaimSpec.self, forKey: key) {
            value = spec.type
            issuer = spec.issuer
        } else {
            value = try container.decode(String.self, forKey: key)
        }
    }

    func principal(in at: String) throws(PolicyError) -> PolicyRule.Principal {
        func id<T: Identifier>(_ type: T.Type) throws(PolicyError) -> T {
            guard let value, let id = T(value) else {
                throw PolicyError(.malformed, "\(at): '\(kind)' needs a \(T.kind.prefix) id, not '\((value ?? "").printable(limit: 100))'")
            }
            return id
        }
        switch kind {
        case "anyone": return .anyone
        case "persona": return .persona(try id(PersonaID.self))
        case "tcc": return .tcc(try id(TCCID.self))
        case "members-of": return .membersOf(try id(TCCID.self))
        case "holds-claim":
            do {
                return .holdsClaim(type: try ClaimType(value ?? ""), issuer: issuer)
            } catch {
                throw PolicyError(.malformed, "\(at): holds-claim: \(error.context)")
            }
        default:
            throw PolicyError(
                .malformed, "\(at): principal '\(kind.printable(limit: 32))' is not anyone, persona, tcc, members-of or holds-claim")
        }
    }
}

private struct WireWindow: Decodable {
    var from: String
    var to: String

    func window(in at: String) throws(PolicyError) -> TimeWindow {
        try TimeWindow(from: try parseTime(from, in: at, field: "window.from"), to: try parseTime(to, in: at, field: "window.to"))
    }
}

private struct WireRegion: Decodable {
    var lat: Double
    var lon: Double
    var radius: Double

    func region(in at: String) throws(PolicyError) -> Region {
        do {
            return try Region(latitude: lat, longitude: lon, radius: radius)
        } catch {
            throw PolicyError(.invalidValue, "\(at): \(error.context)")
        }
    }
}

private struct WireRate: Decodable {
    var count: Int
    var seconds: Int
}

private func parseTime(_ text: String, in at: String, field: String) throws(PolicyError) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else {
        throw PolicyError(.malformed, "\(at): \(field) '\(text.printable(limit: 40))' is not an ISO 8601 time like 2026-01-01T00:00:00Z")
    }
    return date
}
