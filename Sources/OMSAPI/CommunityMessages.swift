import Foundation
import OMSCore
import OMSNode
import OMSProtocol

// The owner API's community and institution bodies (protocol-spec/owner-api.yaml,
// /v1/communities and /v1/institutions). A log is shown as its replica here folds it: the same
// on every member's node once they hold the same events, which `stateHash` shows.

public struct CreateCommunityRequest: Codable, Sendable {
    /// Who founds it (id or name): for a community, one of this node's TCCs, a new persona of
    /// which signs the create event; for an institution, a community held here, whose key signs.
    public var tcc: String
    /// The manifest's YAML, exactly as it will be signed.
    public var manifest: String

    public init(tcc: String, manifest: String) {
        self.tcc = tcc
        self.manifest = manifest
    }
}

public struct JoinCommunityRequest: Codable, Sendable {
    public var tcc: String
    /// A node that holds the community: the join is offered to it, and the log synced from it.
    public var via: NodeID
    /// A claim presentation's envelope, under joining mode `claim`.
    public var evidence: Data?

    public init(tcc: String, via: NodeID, evidence: Data? = nil) {
        self.tcc = tcc
        self.via = via
        self.evidence = evidence
    }
}

/// A decision: taken directly by an admin, or proposed for a vote (`propose`), as the
/// manifest's rule for its kind says.
public struct CommunityActionRequest: Codable, Sendable {
    public var tcc: String
    /// approve, reject, suspend, reinstate, invite, role, app, manifest, affiliate or disaffiliate.
    public var action: String
    public var persona: PersonaID?
    public var reason: String?
    /// For `role`: the role's name; for `app`: the app's.
    public var name: String?
    /// For `role` and `app`: false to revoke or remove (default true).
    public var grant: Bool?
    /// For `manifest`: the new manifest's YAML.
    public var manifest: String?
    /// For `affiliate` and `disaffiliate`: the institution's id.
    public var institution: TCCID?
    /// For `affiliate`, when this node holds no replica of the institution: a node that does,
    /// which describes its manifest in force (what the community agrees to).
    public var via: NodeID?
    public var propose: Bool?

    public init(
        tcc: String, action: String, persona: PersonaID? = nil, reason: String? = nil, name: String? = nil, grant: Bool? = nil,
        manifest: String? = nil, institution: TCCID? = nil, via: NodeID? = nil, propose: Bool? = nil
    ) {
        self.institution = institution
        self.via = via
        self.tcc = tcc
        self.action = action
        self.persona = persona
        self.reason = reason
        self.name = name
        self.grant = grant
        self.manifest = manifest
        self.propose = propose
    }
}

public struct CommunityMemberRequest: Codable, Sendable {
    public var tcc: String
    public init(tcc: String) { self.tcc = tcc }
}

public struct VoteRequest: Codable, Sendable {
    public var tcc: String
    public var yes: Bool
    public init(tcc: String, yes: Bool) {
        self.tcc = tcc
        self.yes = yes
    }
}

/// An event this node signed and folded.
public struct CommunityEventResult: Codable, Sendable {
    public var event: ObjectID
    public var kind: String
    public var stateHash: String
    public init(event: ObjectID, kind: String, stateHash: String) {
        self.event = event
        self.kind = kind
        self.stateHash = stateHash
    }
}

public struct CommunitySyncResult: Codable, Sendable {
    public var received: Int
    public var stateHash: String
    /// The member nodes that refused or did not answer, and why.
    public var failed: [String]
    public init(received: Int, stateHash: String, failed: [String]) {
        self.received = received
        self.stateHash = stateHash
        self.failed = failed
    }
}

public struct CommunitySummary: Codable, Sendable {
    public var id: TCCID
    public var name: String
    public var group: String
    public var version: Int
    public var members: Int
    public var events: Int
    public var stateHash: String
}

public struct CommunityView: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var persona: PersonaID
        public var tcc: TCCID
        public var node: NodeID
        public var status: String
        public var roles: [String]
        public var since: Date
        public var left: Date?
        /// Signed the consent terms in force: asked for answers under them.
        public var consenting: Bool
    }

    public struct Applicant: Codable, Sendable {
        public var persona: PersonaID
        public var tcc: TCCID
        public var node: NodeID
        public var joinEvent: ObjectID
    }

    public struct Proposal: Codable, Sendable {
        public var id: ObjectID
        public var author: PersonaID
        public var action: String
        public var decision: String
        public var deadline: Date
        public var eligible: Int
        public var yes: Int
        public var no: Int
        public var status: String
    }

    public struct Void: Codable, Sendable {
        public var event: ObjectID
        public var code: String
        public var reason: String
    }

    public var id: TCCID
    public var name: String
    public var purpose: String
    public var group: String
    public var manifest: String
    public var manifestHash: String
    public var version: Int
    public var stateHash: String
    public var heads: [ObjectID]
    public var events: Int
    public var members: [Member]
    public var applicants: [Applicant]
    public var invitations: [PersonaID]
    public var proposals: [Proposal]
    public var apps: [String]
    /// The institutions the community answers to.
    public var affiliations: [Affiliation]
    public var void: [Void]

    public struct Affiliation: Codable, Sendable {
        public var institution: TCCID
        public var key: PersonaID
        public var node: NodeID
        public var manifestHash: String
    }
}

extension CommunityView {
    public init(_ log: CommunityLog) {
        let state = log.state
        let manifest = state.manifest
        id = log.community
        name = manifest?.manifest.name ?? ""
        purpose = manifest?.manifest.purpose ?? ""
        group = state.group == .institution ? "institution" : "community"
        self.manifest = String(decoding: manifest?.bytes ?? [], as: UTF8.self)
        manifestHash = manifest?.hash.hex ?? ""
        version = Int(state.version)
        stateHash = state.hash.hex
        heads = log.heads.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        events = log.order.count
        members = state.members.sorted { $0.value.since < $1.value.since || ($0.value.since == $1.value.since && $0.key.description < $1.key.description) }
            .map { persona, member in
                Member(
                    persona: persona, tcc: member.tcc, node: member.node, status: "\(member.status)", roles: member.roles.sorted(),
                    since: Date(milliseconds: member.since), left: member.left == 0 ? nil : Date(milliseconds: member.left),
                    consenting: state.consents(persona))
            }
        applicants = state.applicants.sorted { $0.key.description < $1.key.description }.map {
            Applicant(persona: $0.key, tcc: $0.value.tcc, node: $0.value.node, joinEvent: $0.value.joinEvent)
        }
        invitations = state.invitations.sorted { $0.description < $1.description }
        proposals = state.proposals.sorted { $0.value.deadline < $1.value.deadline }.map { id, proposal in
            Proposal(
                id: id, author: proposal.author, action: Self.describe(proposal.action), decision: Self.describe(proposal.decision),
                deadline: Date(milliseconds: proposal.deadline), eligible: proposal.eligible.count, yes: proposal.yes, no: proposal.no,
                status: "\(proposal.status)")
        }
        apps = state.apps.sorted()
        affiliations = state.affiliations.sorted { $0.key.description < $1.key.description }.map {
            Affiliation(institution: $0.key, key: $0.value.key, node: $0.value.node, manifestHash: $0.value.manifestHash.hex)
        }
        void = log.void.sorted { $0.key.description < $1.key.description }.map {
            Void(event: $0.key, code: $0.value.code.name, reason: $0.value.context)
        }
    }

    static func describe(_ action: CommunityEvent.Action) -> String {
        switch action {
        case .approve(let p): "approve \(p)"
        case .reject(let p, let reason): "reject \(p)" + (reason.isEmpty ? "" : ": \(reason)")
        case .suspend(let p, let reason): "suspend \(p)" + (reason.isEmpty ? "" : ": \(reason)")
        case .reinstate(let p): "reinstate \(p)"
        case .invite(let p): "invite \(p)"
        case .role(let p, let grant, let name): "\(grant ? "grant" : "revoke") \(name) \(grant ? "to" : "from") \(p)"
        case .app(let add, let name): "\(add ? "register" : "remove") app \(name)"
        case .manifest(let document): "manifest \(document.hash.hex.prefix(16)) (\(document.manifest.name))"
        case .affiliate(let institution, let key, let node, let hash):
            "join institution \(institution) (manifest \(hash.hex.prefix(16))) with key \(key) at \(node.short)"
        case .disaffiliate(let institution): "leave institution \(institution)"
        }
    }

    static func describe(_ decision: Manifest.Decision) -> String {
        switch decision {
        case .admin: "admin"
        case .majority(let period): "majority within \(period) s"
        case .quorum(let quorum, let threshold, let period): "quorum \(quorum), threshold \(threshold), within \(period) s"
        }
    }
}

extension CommunitySummary {
    public init(_ log: CommunityLog) {
        id = log.community
        name = log.state.manifest?.manifest.name ?? ""
        group = log.state.group == .institution ? "institution" : "community"
        version = Int(log.state.version)
        members = log.state.members.values.count { $0.status == .active }
        events = log.order.count
        stateHash = log.state.hash.hex
    }
}

extension Date {
    init(milliseconds: UInt64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}

/// A question to the community (`oms community ask`): the modules a community combines (count,
/// sum, mean, min, max, histogram) over a stream its consent covers.
public struct CommunityAskRequest: Codable, Sendable {
    public var tcc: String
    public var module: String
    public var stream: String
    public var from: Date?
    public var to: Date?
    public var numbers: [Double]?
    public var purpose: String?

    public init(tcc: String, module: String, stream: String, from: Date? = nil, to: Date? = nil, numbers: [Double]? = nil, purpose: String? = nil) {
        self.tcc = tcc
        self.module = module
        self.stream = stream
        self.from = from
        self.to = to
        self.numbers = numbers
        self.purpose = purpose
    }
}

public struct CommunityAskResult: Codable, Sendable {
    public struct Reply: Codable, Sendable {
        public var member: PersonaID
        /// The member's TCC: a person's, or (in an institution) the member community's id.
        public var tcc: TCCID
        public var node: NodeID
        /// "answer", a refusal's code (denied, tooFewRecords…), or "unreachable".
        public var outcome: String
        public var number: Double?
        public var counts: [Double]?
        public var reason: String?
        /// The member TCC's signed answer or refusal (in an institution: the member
        /// community's signed report, or a refusal).
        public var envelope: Data?
        /// In an institution: how many of the member community's members were asked, and answered.
        public var membersAsked: Int?
        public var membersAnswered: Int?
    }

    public var community: TCCID
    public var module: String
    public var stream: String
    public var number: Double?
    public var counts: [Double]?
    public var withheld: String?
    public var minimumMembers: Int
    public var asked: Int
    public var answered: Int
    public var notConsenting: [PersonaID]
    public var suspended: [PersonaID]
    public var replies: [Reply]
}

extension CommunityAskResult {
    public init(_ answer: CommunityAnswer) {
        community = answer.community
        module = answer.module
        stream = answer.stream
        (number, counts) = Self.split(answer.value)
        withheld = answer.withheld
        minimumMembers = answer.minimumMembers
        asked = answer.replies.count
        answered = answer.replies.count { $0.outcome == "answer" }
        notConsenting = answer.notConsenting
        suspended = answer.suspended
        replies = answer.replies.map { reply in
            let (number, counts) = Self.split(reply.value)
            return Reply(
                member: reply.member, tcc: reply.tcc, node: reply.node, outcome: reply.outcome, number: number, counts: counts, reason: reply.reason,
                envelope: reply.envelope.map { Data($0) }, membersAsked: reply.membersAsked, membersAnswered: reply.membersAnswered)
        }
    }

    /// JSON has no NaN or infinity: a number without a value is absent, as in section 13's
    /// answers (`AnswerView`).
    static func split(_ value: AnswerValue?) -> (Double?, [Double]?) {
        switch value {
        case .number(let x)?: (x.isFinite ? x : nil, nil)
        case .counts(let c)?: (nil, c.allSatisfy(\.isFinite) ? c : nil)
        default: (nil, nil)
        }
    }
}

/// A member's answer kept by this node, until the manifest's retention after they leave ends.
public struct CommunityContributionView: Codable, Sendable {
    public var member: PersonaID
    public var question: ObjectID
    public var at: Date
    public var envelope: Data
}

/// What other members' nodes keep of a member's answers (`oms community kept`), by node.
public struct CommunityKeptResult: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var node: NodeID
        /// The member TCC's signed answers (`oms/answer` envelopes) kept there.
        public var answers: [Data]
    }

    public var nodes: [Node]
    /// Nodes that refused or did not answer, and why.
    public var failed: [String]

    public init(nodes: [Node], failed: [String]) {
        self.nodes = nodes
        self.failed = failed
    }
}
