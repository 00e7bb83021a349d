import OMSCrypto
import OMSProtocol

/// What a community is at one point of its log: the fold of every event before it
/// (protocol-spec/README.md section 15, "State"). Replicas holding the same events hold equal
/// states, which `hash` shows in 32 bytes.
public struct CommunityState: Hashable, Sendable {
    public enum Status: UInt8, Hashable, Sendable {
        case active = 1, suspended, left
    }

    public struct Member: Hashable, Sendable {
        public var tcc: TCCID
        public var node: NodeID
        public var status: Status
        /// When the event that made them a member was written (ms).
        public var since: UInt64
        /// When they left (ms); 0 while they have not.
        public var left: UInt64
        /// The consent epoch they last signed.
        public var consented: [UInt8]
        public var roles: Set<String>
    }

    public struct Applicant: Hashable, Sendable {
        public var tcc: TCCID
        public var node: NodeID
        public var joinEvent: ObjectID
        /// The consent epoch when they signed the manifest.
        public var consented: [UInt8]
    }

    public struct Proposal: Hashable, Sendable {
        public enum Status: UInt8, Hashable, Sendable {
            case open = 1, passed, failed
        }

        public var author: PersonaID
        public var action: CommunityEvent.Action
        /// The rule in force when proposed: a later manifest does not change a running vote.
        public var decision: Manifest.Decision
        public var deadline: UInt64
        public var eligible: Set<PersonaID>
        public var votes: [PersonaID: Bool]
        public var status: Status

        public var yes: Int { votes.values.count { $0 } }
        public var no: Int { votes.count - yes }

        /// Whether the votes cast carry it under its rule.
        public var carried: Bool {
            let cast = votes.count
            switch decision {
            case .admin: return false
            case .majority: return yes > no
            case .quorum(let quorum, let threshold, _):
                guard cast > 0 else { return false }
                return Double(cast) / Double(eligible.count) >= quorum && Double(yes) / Double(cast) >= threshold
            }
        }
    }

    /// nil until the create event is folded.
    public internal(set) var community: TCCID?
    public internal(set) var group: CommunityEvent.Group = .community
    public internal(set) var manifest: ManifestDocument?
    public internal(set) var version: UInt32 = 0
    /// The hash of the first manifest whose consent section is the one in force.
    public internal(set) var consentEpoch: [UInt8] = []
    public internal(set) var members: [PersonaID: Member] = [:]
    public internal(set) var applicants: [PersonaID: Applicant] = [:]
    public internal(set) var invitations: Set<PersonaID> = []
    public internal(set) var proposals: [ObjectID: Proposal] = [:]
    public internal(set) var apps: Set<String> = []
    /// The institutions the community answers to, by institution id.
    public internal(set) var affiliations: [TCCID: Affiliation] = [:]

    /// A community's standing in an institution: the key that speaks for it there, the node
    /// that holds the key, and the institution's manifest it agreed to.
    public struct Affiliation: Hashable, Sendable {
        public var key: PersonaID
        public var node: NodeID
        public var manifestHash: [UInt8]
    }

    public init() {}

    public func isActive(_ persona: PersonaID) -> Bool { members[persona]?.status == .active }

    public func isAdmin(_ persona: PersonaID) -> Bool {
        guard let member = members[persona] else { return false }
        return member.status == .active && member.roles.contains("admin")
    }

    /// Whether `persona` answers under the terms in force (has signed the current consent).
    public func consents(_ persona: PersonaID) -> Bool {
        guard let member = members[persona] else { return false }
        return member.status == .active && member.consented == consentEpoch
    }

    /// Whether a node may read the log: it hosts a member (active or suspended) or an applicant.
    public func mayRead(node: NodeID) -> Bool {
        members.values.contains { $0.node == node && $0.status != .left } || applicants.values.contains { $0.node == node }
    }

    static let hashDomain = Array("oms/v1/community-state".utf8) + [0]

    /// BLAKE2b-256 of `canonicalBytes`: what replicas compare to know they agree.
    public var hash: [UInt8] { BLAKE2b.hash(canonicalBytes, outputLength: 32) }

    /// The canonical encoding of section 15 ("State hash").
    public var canonicalBytes: [UInt8] {
        var bytes = Self.hashDomain
        bytes += community?.bytes ?? [UInt8](repeating: 0, count: 32)
        bytes.append(group.rawValue)
        bytes += manifest?.hash ?? [UInt8](repeating: 0, count: 32)
        bytes.appendBigEndian(version)
        bytes += consentEpoch.isEmpty ? [UInt8](repeating: 0, count: 32) : consentEpoch
        bytes.appendBigEndian(UInt32(members.count))
        for (persona, member) in members.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            bytes += persona.bytes
            bytes.append(member.status.rawValue)
            bytes += member.tcc.bytes + member.node.bytes
            bytes.appendBigEndian(member.since)
            bytes.appendBigEndian(member.left)
            bytes += member.consented
            bytes.append(UInt8(member.roles.count))
            for role in member.roles.sorted(by: Self.ascending) { bytes.appendShortText(role) }
        }
        bytes.appendBigEndian(UInt32(applicants.count))
        for (persona, applicant) in applicants.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            bytes += persona.bytes + applicant.tcc.bytes + applicant.node.bytes + applicant.joinEvent.bytes + applicant.consented
        }
        bytes.appendBigEndian(UInt32(invitations.count))
        for persona in invitations.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) { bytes += persona.bytes }
        bytes.appendBigEndian(UInt32(proposals.count))
        for (id, proposal) in proposals.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            bytes += id.bytes
            bytes.append(proposal.status.rawValue)
            bytes.appendBigEndian(UInt32(proposal.yes))
            bytes.appendBigEndian(UInt32(proposal.no))
            bytes.appendBigEndian(proposal.deadline)
        }
        bytes.appendBigEndian(UInt32(apps.count))
        for app in apps.sorted(by: Self.ascending) { bytes.appendShortText(app) }
        bytes.appendBigEndian(UInt32(affiliations.count))
        for (institution, affiliation) in affiliations.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            bytes += institution.bytes + affiliation.key.bytes + affiliation.node.bytes + affiliation.manifestHash
        }
        return bytes
    }

    /// Bytewise, as the spec orders names (Swift's `<` on strings is by Unicode scalars).
    static func ascending(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
