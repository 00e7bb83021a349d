import Foundation
import OMSCrypto

/// A community's (or an institution's) manifest: what it is for, how it decides, who may
/// join and how, what members agree to answer and under which limits, who may ask it what,
/// what happens on leaving, and which apps it runs. Authored in YAML (`Manifest(yaml:)`,
/// protocol-spec §14); the manifest is its exact bytes, and their hash is what a newcomer signs
/// when they opt in, so no two readers can disagree about what was agreed.
public struct Manifest: Hashable, Sendable {
    public static let version = 1
    /// Checked before parsing: a manifest is written by people.
    public static let maximumBytes = 64 * 1024

    public var name: String
    public var purpose: String
    public var tags: [String]
    public var governance: Governance
    public var joining: Joining
    public var consent: [Consent]
    public var access: [Access]
    public var departure: Departure
    public var apps: [String]
    /// Whether the manifest may be announced to the whole network (protocol-spec §17): a
    /// private community's existence is known only to those its members tell.
    public var discovery: Discovery = .private

    public enum Discovery: String, Hashable, Sendable {
        /// Never gossiped; the default, so that nothing is published by omission.
        case `private`
        /// Announced by its founder's node and searchable on every node (`oms discover`).
        case `public`
    }

    /// The kinds of decision a community takes, each by its own rule.
    public enum DecisionKind: String, Hashable, Sendable, CaseIterable {
        case manifest
        case roles
        case apps
        case admission
        case suspension
    }

    public struct Governance: Hashable, Sendable {
        public var roles: [String]
        public var decisions: [DecisionKind: Decision]
    }

    /// How one kind of decision is taken.
    public enum Decision: Hashable, Sendable {
        /// Any member holding the admin role decides alone.
        case admin
        /// More yes than no among the votes cast by the end of the period.
        case majority(periodSeconds: Int)
        /// At least `quorum` of the members vote, and at least `threshold` of the votes are yes.
        case quorum(quorum: Double, threshold: Double, periodSeconds: Int)
    }

    public enum Joining: Hashable, Sendable {
        case open
        case approval
        case invitation
        /// Holders of a verified claim of this type (from this issuer, when named).
        case claim(type: String, issuer: String?)
    }

    /// What members agree to answer, and under which limits.
    public struct Consent: Hashable, Sendable {
        public var stream: String
        public var answers: [String]
        public var minimumCount: Int?
        public var epsilon: Double?
        public var budget: Double?

        public init(stream: String, answers: [String], minimumCount: Int? = nil, epsilon: Double? = nil, budget: Double? = nil) {
            self.stream = stream
            self.answers = answers
            self.minimumCount = minimumCount
            self.epsilon = epsilon
            self.budget = budget
        }
    }

    /// Who may ask the community what.
    public struct Access: Hashable, Sendable {
        /// `members`, `anyone`, or `role:NAME`.
        public var who: String
        public var streams: [String]
        public var answers: [String]
    }

    public struct Departure: Hashable, Sendable {
        /// Whether a departing member gets their contributions exported to them.
        public var export: Bool
        /// How long the community keeps a departed member's contributions (0: purged at once).
        public var retainSeconds: Int

        public init(export: Bool, retainSeconds: Int) {
            self.export = export
            self.retainSeconds = retainSeconds
        }
    }

    /// The manifest's hash: BLAKE2b-256 of its exact bytes, what opt-in signatures cover.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] { BLAKE2b.hash(bytes, outputLength: 32) }
}

/// One thing wrong in a manifest: where (a path like `governance.decisions.apps.quorum`, and
/// the line in the file), and what.
public struct ManifestProblem: Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String

    public var description: String { (line.map { "line \($0): " } ?? "") + "\(path.isEmpty ? "the manifest" : path): \(message)" }
}

/// A manifest refused, with every problem found (not only the first).
public struct ManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [ManifestProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension Manifest {
    /// Section 14's name rule, for roles, apps, tags, the manifest's name and a log's names.
    public static func isName<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        guard (1...64).contains(bytes.count), let first = bytes.first, first != 0x2E, first != 0x5F, first != 0x2D else {
            return false
        }
        return bytes.allSatisfy { b in
            (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x2E || b == 0x5F || b == 0x2D
        }
    }

    /// How `kind` is decided; every valid manifest names a rule for each kind.
    public func decision(_ kind: DecisionKind) -> Decision { governance.decisions[kind] ?? .admin }
}
