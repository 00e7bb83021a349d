import Foundation
import Yams

/// Reading a manifest from the YAML people write (protocol-spec §14):
///
/// ```yaml
/// manifest: 1
/// name: berlin-cycling-club
/// purpose: Pool our rides to map safe routes across Berlin.
/// tags: [cycling, berlin, safety]
/// governance:
///   roles: [admin, member]
///   decisions:                       # every kind must be named
///     manifest: {by: quorum, quorum: 0.5, threshold: 0.66, period: 7d}
///     roles: {by: admin}
///     apps: {by: majority, period: 3d}
///     admission: {by: admin}
///     suspension: {by: majority, period: 2d}
/// joining: {mode: approval}          # open | approval | invitation | claim (with type, issuer)
/// consent:
///   - {stream: gps, answers: [distance, visited], min-count: 5, epsilon: 0.5, budget: 5}
/// access:
///   - {who: members, streams: [gps], answers: [distance]}   # members | anyone | role:NAME
/// departure: {export: true, retain: 30d}
/// apps: [route-map]
/// ```
///
/// The reader walks the YAML tree itself rather than decoding into types, so that it can report
/// every problem at once, each with its path and line, as `oms manifest lint` prints them.
extension Manifest {
    public init(yaml text: String) throws(ManifestError) {
        var lint = ManifestLint()
        guard let manifest = lint.read(text) else { throw ManifestError(problems: lint.problems) }
        self = manifest
    }

    /// Every problem of `text` as a manifest; empty when it is one.
    public static func lint(_ text: String) -> [ManifestProblem] {
        var lint = ManifestLint()
        _ = lint.read(text)
        return lint.problems
    }
}

struct ManifestLint {
    var problems: [ManifestProblem] = []

    static let namePattern = "1 to 64 of a-z 0-9 . _ -, starting with a letter or digit"

    mutating func problem(_ path: String, _ node: Node?, _ message: String) {
        problems.append(ManifestProblem(path: path, line: node?.mark?.line, message: message))
    }

    mutating func read(_ text: String) -> Manifest? {
        guard text.utf8.count <= Manifest.maximumBytes else {
            problem("", nil, "\(text.utf8.count) bytes; a manifest is at most \(Manifest.maximumBytes)")
            return nil
        }
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                problem("", nil, "the file is empty")
                return nil
            }
            root = composed
        } catch {
            problem("", nil, "not YAML: \(error)")
            return nil
        }
        guard let top = self.mapping(root, "") else { return nil }
        keys(top, "", allowed: ["manifest", "name", "purpose", "tags", "governance", "joining", "consent", "access", "departure", "apps", "discovery"])
        if let version = top["manifest"] {
            if version.int != Manifest.version { problem("manifest", version, "version \(version.string ?? "?"); this node reads manifest: 1") }
        } else {
            problem("manifest", root, "missing: write 'manifest: 1' first")
        }
        let name = required(top, "name", "").flatMap { self.name($0, "name") }
        let purpose = required(top, "purpose", "").flatMap { self.text($0, "purpose", maximum: 2000) }
        let tags = names(top["tags"], "tags", maximum: 16)
        let governance = required(top, "governance", "").flatMap { self.governance($0) }
        let joining = required(top, "joining", "").flatMap { self.joining($0) }
        let consent = items(top["consent"], "consent", maximum: 64).compactMap { self.consent($0.node, $0.path) }
        let roles = governance?.roles ?? []
        let access = items(top["access"], "access", maximum: 64).compactMap { self.access($0.node, $0.path, roles: roles) }
        let departure = required(top, "departure", "").flatMap { self.departure($0) }
        let apps = names(top["apps"], "apps", maximum: 64)
        var discovery = Manifest.Discovery.private
        if let node = top["discovery"] {
            if let value = node.string.flatMap(Manifest.Discovery.init(rawValue:)) {
                discovery = value
            } else {
                problem("discovery", node, "is public or private")
            }
        }
        guard problems.isEmpty, let name, let purpose, let governance, let joining, let departure else { return nil }
        return Manifest(
            name: name, purpose: purpose, tags: tags, governance: governance, joining: joining, consent: consent, access: access,
            departure: departure, apps: apps, discovery: discovery)
    }

    // MARK: Sections

    mutating func governance(_ node: Node) -> Manifest.Governance? {
        guard let map = mapping(node, "governance") else { return nil }
        keys(map, "governance", allowed: ["roles", "decisions"])
        let roles = names(required(map, "roles", "governance"), "governance.roles", maximum: 32)
        if !roles.isEmpty && !roles.contains("admin") && !roles.contains("member") {
            problem("governance.roles", map["roles"], "name at least 'member' (or 'admin'): someone must hold a role")
        }
        var decisions: [Manifest.DecisionKind: Manifest.Decision] = [:]
        if let node = required(map, "decisions", "governance"), let kinds = self.mapping(node, "governance.decisions") {
            keys(kinds, "governance.decisions", allowed: Manifest.DecisionKind.allCases.map(\.rawValue))
            for kind in Manifest.DecisionKind.allCases {
                let path = "governance.decisions.\(kind.rawValue)"
                guard let rule = kinds[kind.rawValue] else {
                    problem(path, node, "missing: say how \(kind.rawValue) decisions are taken (by: admin | majority | quorum)")
                    continue
                }
                if let decision = self.decision(rule, path, roles: roles) { decisions[kind] = decision }
            }
        }
        return Manifest.Governance(roles: roles, decisions: decisions)
    }

    mutating func decision(_ node: Node, _ path: String, roles: [String]) -> Manifest.Decision? {
        guard let map = mapping(node, path) else { return nil }
        keys(map, path, allowed: ["by", "quorum", "threshold", "period"])
        switch map["by"]?.string {
        case "admin":
            if !roles.isEmpty && !roles.contains("admin") { problem("\(path).by", map["by"], "'admin' decides, but governance.roles has no admin") }
            for key in ["quorum", "threshold", "period"] where map[key] != nil {
                problem("\(path).\(key)", map[key], "an admin decides alone: no \(key)")
            }
            return .admin
        case "majority":
            guard let node = required(map, "period", path), let period = duration(node, "\(path).period") else { return nil }
            return .majority(periodSeconds: period)
        case "quorum":
            let quorum = required(map, "quorum", path).flatMap { self.fraction($0, "\(path).quorum", above: 0) }
            let threshold = required(map, "threshold", path).flatMap { self.fraction($0, "\(path).threshold", above: 0.5) }
            let period = required(map, "period", path).flatMap { self.duration($0, "\(path).period") }
            guard let quorum, let threshold, let period else { return nil }
            return .quorum(quorum: quorum, threshold: threshold, periodSeconds: period)
        default:
            problem("\(path).by", map["by"] ?? node, "is admin, majority or quorum")
            return nil
        }
    }

    mutating func joining(_ node: Node) -> Manifest.Joining? {
        guard let map = mapping(node, "joining") else { return nil }
        keys(map, "joining", allowed: ["mode", "type", "issuer"])
        switch map["mode"]?.string {
        case "open": return .open
        case "approval": return .approval
        case "invitation": return .invitation
        case "claim":
            guard let node = required(map, "type", "joining"), let type = name(node, "joining.type") else { return nil }
            return .claim(type: type, issuer: map["issuer"].flatMap { self.text($0, "joining.issuer", maximum: 100) })
        default:
            problem("joining.mode", map["mode"] ?? node, "is open, approval, invitation or claim")
            return nil
        }
    }

    mutating func consent(_ node: Node, _ path: String) -> Manifest.Consent? {
        guard let map = mapping(node, path) else { return nil }
        keys(map, path, allowed: ["stream", "answers", "min-count", "epsilon", "budget"])
        let stream = required(map, "stream", path).flatMap { self.name($0, "\(path).stream") }
        let answers = modules(required(map, "answers", path), "\(path).answers")
        let minimum = map["min-count"].flatMap { self.positiveInteger($0, "\(path).min-count") }
        let epsilon = map["epsilon"].flatMap { self.positive($0, "\(path).epsilon") }
        let budget = map["budget"].flatMap { self.positive($0, "\(path).budget") }
        if budget != nil && epsilon == nil { problem("\(path).budget", map["budget"], "a budget needs an epsilon to spend from it") }
        if answers.contains("raw") {
            problem("\(path).answers", map["answers"], "members never consent to raw records through a community")
        }
        guard let stream else { return nil }
        return Manifest.Consent(stream: stream, answers: answers, minimumCount: minimum, epsilon: epsilon, budget: budget)
    }

    mutating func access(_ node: Node, _ path: String, roles: [String]) -> Manifest.Access? {
        guard let map = mapping(node, path) else { return nil }
        keys(map, path, allowed: ["who", "streams", "answers"])
        let who = required(map, "who", path).flatMap { self.text($0, "\(path).who", maximum: 70) }
        if let who, who != "members", who != "anyone" {
            if who.hasPrefix("role:") {
                let role = String(who.dropFirst(5))
                if !roles.isEmpty && !roles.contains(role) { problem("\(path).who", map["who"], "no role '\(role)' in governance.roles") }
            } else {
                problem("\(path).who", map["who"], "is members, anyone or role:NAME")
            }
        }
        let streams = names(required(map, "streams", path), "\(path).streams", maximum: 16)
        let answers = modules(required(map, "answers", path), "\(path).answers")
        guard let who else { return nil }
        return Manifest.Access(who: who, streams: streams, answers: answers)
    }

    mutating func departure(_ node: Node) -> Manifest.Departure? {
        guard let map = mapping(node, "departure") else { return nil }
        keys(map, "departure", allowed: ["export", "retain"])
        var export: Bool?
        if let node = required(map, "export", "departure") {
            export = node.bool
            if export == nil { problem("departure.export", node, "is true or false") }
        }
        let retain = required(map, "retain", "departure").flatMap { self.duration($0, "departure.retain", allowZero: true) }
        guard let export, let retain else { return nil }
        return Manifest.Departure(export: export, retainSeconds: retain)
    }

    // MARK: Values

    mutating func mapping(_ node: Node, _ path: String) -> Node.Mapping? {
        guard case .mapping(let map) = node else {
            problem(path, node, "is a mapping (key: value lines)")
            return nil
        }
        return map
    }

    mutating func keys(_ map: Node.Mapping, _ path: String, allowed: [String]) {
        var seen: Set<String> = []
        for key in map.keys {
            let name = key.string ?? "?"
            let at = path.isEmpty ? name : "\(path).\(name)"
            if !allowed.contains(name) { problem(at, key, "unknown key; this section has \(allowed.joined(separator: ", "))") }
            if !seen.insert(name).inserted { problem(at, key, "appears twice") }
        }
    }

    mutating func required(_ map: Node.Mapping, _ key: String, _ path: String) -> Node? {
        if let node = map[key] { return node }
        problems.append(ManifestProblem(path: path.isEmpty ? key : "\(path).\(key)", line: map.mark?.line, message: "missing"))
        return nil
    }

    /// The entries of a list, each with its path, or none (and a problem) when it is not one.
    mutating func items(_ node: Node?, _ path: String, maximum: Int) -> [(node: Node, path: String)] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            problem(path, node, "is a list ([a, b] or '- ' lines)")
            return []
        }
        if sequence.count > maximum { problem(path, node, "\(sequence.count) entries; at most \(maximum)") }
        return sequence.enumerated().map { ($1, "\(path)[\($0)]") }
    }

    mutating func names(_ node: Node?, _ path: String, maximum: Int) -> [String] {
        items(node, path, maximum: maximum).compactMap { name($0.node, $0.path) }
    }

    mutating func modules(_ node: Node?, _ path: String) -> [String] {
        items(node, path, maximum: 16).compactMap { module($0.node, $0.path) }
    }

    mutating func scalar(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            problem(path, node, "is a single value")
            return nil
        }
        return scalar.string
    }

    mutating func name(_ node: Node, _ path: String) -> String? {
        guard let text = scalar(node, path) else { return nil }
        guard Manifest.isName(text.utf8) else {
            problem(path, node, "'\(text.printable(limit: 64))' is not a name: \(Self.namePattern)")
            return nil
        }
        return text
    }

    mutating func module(_ node: Node, _ path: String) -> String? {
        guard let text = scalar(node, path) else { return nil }
        guard ModuleName.builtIn.contains(text) else {
            problem(path, node, "'\(text.printable(limit: 32))' is not an answer module (\(ModuleName.builtIn.joined(separator: ", ")))")
            return nil
        }
        return text
    }

    mutating func text(_ node: Node, _ path: String, maximum: Int) -> String? {
        guard let text = scalar(node, path) else { return nil }
        guard !text.isEmpty, text.utf8.count <= maximum, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" })
        else {
            problem(path, node, "is 1 to \(maximum) bytes of text without control characters")
            return nil
        }
        return text
    }

    mutating func positive(_ node: Node, _ path: String) -> Double? {
        guard let x = node.float, x.isFinite, x > 0 else {
            problem(path, node, "is a positive number")
            return nil
        }
        return x
    }

    mutating func positiveInteger(_ node: Node, _ path: String) -> Int? {
        guard let n = node.int, n >= 1 else {
            problem(path, node, "is a whole number of at least 1")
            return nil
        }
        return n
    }

    mutating func fraction(_ node: Node, _ path: String, above floor: Double) -> Double? {
        guard let x = node.float, x > floor, x <= 1 else {
            problem(path, node, "is a fraction above \(floor) and at most 1 (e.g. 0.66)")
            return nil
        }
        return x
    }

    /// "30d", "12h", "90m", "45s": at most 10 years.
    mutating func duration(_ node: Node, _ path: String, allowZero: Bool = false) -> Int? {
        guard let text = scalar(node, path) else { return nil }
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last, let factor = units[unit], let count = Int(text.dropLast()), count >= (allowZero ? 0 : 1),
            count <= 3650 * 86_400 / factor
        else {
            problem(path, node, "is a duration like 45s, 90m, 12h or 30d\(allowZero ? " (0d for none)" : "")")
            return nil
        }
        return count * factor
    }
}
