import OMSCrypto
import OMSProtocol

/// One signed step of a community's life: its founding, a join with the newcomer's opt-in, an
/// admin's decision, a proposal, a vote. An envelope of type `oms/community-event` signed by the
/// author (a member's persona); its payload (protocol-spec/README.md section 15) is
/// ```
/// version u8 = 1 | kind u8 | community [32] | time u64 | parent_count u8 | parents [32]... | body
/// ```
/// The parents make the log a DAG: an event names the heads its author held, so events written
/// apart (two partitioned nodes) merge when they meet, and an event's causal past, against which
/// its authority is judged, is the same on every replica.
public struct CommunityEvent: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/community-event")
    static let version: UInt8 = 1
    /// A 64 KiB manifest and the largest header: every event fits.
    public static let maximumPayload = 66_560
    public static let maximumParents = 16
    public static let maximumReason = 200
    /// A join's evidence is a claim presentation (section 8) at most.
    public static let maximumEvidence = 9518

    public enum Kind: UInt8, Sendable, CaseIterable {
        case create = 1, join, approve, reject, leave, suspend, reinstate, invite, role, app, manifest, propose, vote, enact, consent,
            affiliate, disaffiliate

        /// Kinds that are actions: taken by an admin directly, or by a passed proposal.
        var isAction: Bool {
            [.approve, .reject, .suspend, .reinstate, .invite, .role, .app, .manifest, .affiliate, .disaffiliate].contains(self)
        }
    }

    /// What kind of group the log is: its members are persons, or communities.
    public enum Group: UInt8, Hashable, Sendable {
        case community = 1
        case institution = 2
    }

    /// A decision that changes the community, under the rule of its decision kind.
    public enum Action: Hashable, Sendable {
        case approve(PersonaID)
        case reject(PersonaID, reason: String)
        case suspend(PersonaID, reason: String)
        case reinstate(PersonaID)
        case invite(PersonaID)
        case role(PersonaID, grant: Bool, name: String)
        case app(add: Bool, name: String)
        case manifest(ManifestDocument)
        /// The community answers to `institution` through `key`, held by `node`, under the
        /// institution's manifest of `manifestHash` (section 15, "Institutions").
        case affiliate(institution: TCCID, key: PersonaID, node: NodeID, manifestHash: [UInt8])
        case disaffiliate(institution: TCCID)

        public var kind: Kind {
            switch self {
            case .approve: .approve
            case .reject: .reject
            case .suspend: .suspend
            case .reinstate: .reinstate
            case .invite: .invite
            case .role: .role
            case .app: .app
            case .manifest: .manifest
            case .affiliate: .affiliate
            case .disaffiliate: .disaffiliate
            }
        }

        /// Which of the manifest's rules decides it.
        public var decisionKind: Manifest.DecisionKind {
            switch self {
            case .approve, .reject, .invite: .admission
            case .suspend, .reinstate: .suspension
            case .role: .roles
            case .app: .apps
            // Whom the community answers to weighs as much as its manifest: the same rule decides.
            case .manifest, .affiliate, .disaffiliate: .manifest
            }
        }
    }

    public enum Body: Hashable, Sendable {
        case create(group: Group, tcc: TCCID, node: NodeID, manifest: ManifestDocument)
        /// `manifestHash` is what the newcomer opts in to; `evidence` a claim presentation under
        /// joining mode `claim`, else empty.
        case join(manifestHash: [UInt8], tcc: TCCID, node: NodeID, evidence: [UInt8])
        case leave
        case action(Action)
        case propose(Action)
        case vote(proposal: ObjectID, yes: Bool)
        case enact(proposal: ObjectID)
        case consent(manifestHash: [UInt8])

        public var kind: Kind {
            switch self {
            case .create: .create
            case .join: .join
            case .leave: .leave
            case .action(let action): action.kind
            case .propose: .propose
            case .vote: .vote
            case .enact: .enact
            case .consent: .consent
            }
        }
    }

    /// nil in a create event, whose id the community's id is.
    public let community: TCCID?
    /// Unix milliseconds, as the author's clock read it.
    public let time: UInt64
    /// Strictly ascending; empty only in a create event.
    public let parents: [ObjectID]
    public let body: Body

    public init(community: TCCID?, time: UInt64, parents: [ObjectID], body: Body) throws(CommunityError) {
        let isCreate = body.kind == .create
        guard isCreate == (community == nil) else {
            throw CommunityError(.malformed, isCreate ? "a create event names no community" : "an event names its community")
        }
        guard isCreate ? parents.isEmpty : (1...Self.maximumParents).contains(parents.count) else {
            throw CommunityError(
                .malformed,
                isCreate ? "a create event has no parents" : "\(parents.count) parents; an event has 1 to \(Self.maximumParents)")
        }
        guard zip(parents, parents.dropFirst()).allSatisfy({ $0.bytes.lexicographicallyPrecedes($1.bytes) }) else {
            throw CommunityError(.malformed, "parents must be strictly ascending, without repeats")
        }
        switch body {
        case .action(let action), .propose(let action): try Self.check(action)
        case .join(let hash, _, _, let evidence):
            guard hash.count == 32 else { throw CommunityError(.malformed, "a manifest hash is 32 bytes") }
            guard evidence.count <= Self.maximumEvidence else {
                throw CommunityError(.malformed, "evidence of \(evidence.count) bytes; at most \(Self.maximumEvidence)")
            }
        case .consent(let hash):
            guard hash.count == 32 else { throw CommunityError(.malformed, "a manifest hash is 32 bytes") }
        default: break
        }
        self.community = community
        self.time = time
        self.parents = parents
        self.body = body
    }

    static func check(_ action: Action) throws(CommunityError) {
        switch action {
        case .reject(_, let reason), .suspend(_, let reason):
            guard reason.utf8.count <= maximumReason else {
                throw CommunityError(.malformed, "a reason is at most \(maximumReason) bytes, not \(reason.utf8.count)")
            }
            guard !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw CommunityError(.malformed, "a reason may not contain control characters")
            }
        case .role(_, _, let name), .app(_, let name):
            guard Manifest.isName(name.utf8) else {
                throw CommunityError(.malformed, "'\(name.printable(limit: 64))' is not a name: \(ManifestLint.namePattern)")
            }
        case .affiliate(_, _, _, let hash):
            guard hash.count == 32 else { throw CommunityError(.malformed, "a manifest hash is 32 bytes") }
        case .approve, .reinstate, .invite, .manifest, .disaffiliate: break
        }
    }

    public func signed(with key: Ed25519.PrivateKey) -> SignedCommunityEvent {
        let envelope = Envelope.sign(type: Self.type, payload: encodePayload(), with: key)
        return SignedCommunityEvent(envelope: envelope, event: self)
    }
}

/// An event with the envelope that carries it: what replicas store, send and fold.
public struct SignedCommunityEvent: Hashable, Sendable {
    public let envelope: Envelope
    public let event: CommunityEvent
    /// The event id: the envelope's object id.
    public let id: ObjectID
    public var author: PersonaID { PersonaID(uncheckedBytes: envelope.signer.rawRepresentation) }

    init(envelope: Envelope, event: CommunityEvent) {
        self.envelope = envelope
        self.event = event
        id = envelope.id
    }

    /// Opens, verifies the signature and decodes: everything that needs no log.
    public static func open(_ bytes: [UInt8]) throws(CommunityError) -> SignedCommunityEvent {
        let envelope: Envelope
        do {
            envelope = try Envelope.open(bytes, expecting: CommunityEvent.type, maximumPayload: CommunityEvent.maximumPayload)
        } catch {
            throw CommunityError(error)
        }
        return SignedCommunityEvent(envelope: envelope, event: try CommunityEvent(decoding: envelope.payload))
    }

    /// The community this event belongs to: its own id for a create event.
    public var communityID: TCCID { event.community ?? TCCID(uncheckedBytes: id.bytes) }
}

extension SignedCommunityEvent {
    /// Decodes an event this node stored after it verified it, without checking the signature
    /// again: restoring a long log at start would otherwise cost a verification per event.
    public static func open(stored bytes: [UInt8]) throws(CommunityError) -> SignedCommunityEvent {
        let envelope: Envelope
        do {
            envelope = try Envelope(decoding: bytes, maximumPayload: CommunityEvent.maximumPayload)
        } catch {
            throw CommunityError(error)
        }
        guard envelope.type == CommunityEvent.type else { throw CommunityError(.wrongType, "a stored event of type \(envelope.type)") }
        return SignedCommunityEvent(envelope: envelope, event: try CommunityEvent(decoding: envelope.payload))
    }
}
