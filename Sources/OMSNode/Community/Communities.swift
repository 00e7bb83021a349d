import Foundation
import NIOPosix
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Synchronization

/// The community logs this node replicates (protocol-spec §15), and everything that moves them:
/// signing events for the members hosted here, serving describe, sync and push to peers, and
/// syncing from them. The rules are the pure core's (`CommunityLog`); this class holds the logs,
/// writes each accepted event to SQLite before it is acknowledged or passed on, and talks to
/// peers through the node.
public final class Communities: Sendable {
    let host: TCFHost
    let node: Node
    let exchange: Exchange
    let logs = Mutex<[TCCID: CommunityLog]>([:])
    /// Institution questions being relayed now (`Communities.maximumRelays` at most).
    let relaying = Mutex(0)

    /// At most this many events, and this many bytes of them, in one frame.
    static let batchEvents = 2048
    static let batchBytes = 2 << 20

    /// Communities whose stored log could not be read back, and why: left out rather than
    /// keeping the node from starting; a sync from a member's node can fill them in again.
    public let unrestored: [TCCID: String]

    /// Rebuilds every log held from the store.
    public init(host: TCFHost, node: Node, exchange: Exchange) throws {
        self.host = host
        self.node = node
        self.exchange = exchange
        var restored: [TCCID: CommunityLog] = [:]
        var unrestored: [TCCID: String] = [:]
        for community in try host.store.communities() {
            do {
                restored[community] = try Self.restore(community, from: host.store)
            } catch {
                unrestored[community] = "\(error)"
            }
        }
        self.unrestored = unrestored
        logs.withLock { $0 = restored }
    }

    static func restore(_ community: TCCID, from store: NodeStore) throws -> CommunityLog {
        let events = try store.communityEvents(community).map { bytes throws(CommunityError) in try SignedCommunityEvent.open(stored: bytes) }
        return try CommunityLog(restoring: events)
    }

    /// Folds `events` into the log and stores those accepted, in one step under the lock. When
    /// the store refuses the write, the log is read back from the store, so that nothing is
    /// held (served, built upon) that is not on disk.
    func commit(
        _ community: TCCID, _ change: (inout CommunityLog) throws -> [SignedCommunityEvent]
    ) throws -> [SignedCommunityEvent] {
        var announce = false
        defer { if announce { announceLater(community) } }
        return try logs.withLock { logs in
            guard var log = logs.removeValue(forKey: community) else {
                throw CommunityHostError(.notFound, "this node holds no community \(community.short)")
            }
            // Out of the dictionary while it changes, so that the change does not copy it.
            defer { logs[community] = log }
            let version = log.state.version
            let accepted = try change(&log)
            do {
                try host.store.appendCommunityEvents(community, accepted)
            } catch {
                if let stored = try? Self.restore(community, from: host.store) { log = stored }
                throw error
            }
            // Once stored, and outside the lock: a new manifest version of a public community.
            announce = log.state.version != version && log.state.manifest?.manifest.discovery == .public
            return accepted
        }
    }

    var nowMs: UInt64 { host.unixNowMs }

    // MARK: Reading

    public func ids() -> [TCCID] { logs.withLock { Array($0.keys) }.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) } }

    public func log(_ community: TCCID) throws(CommunityHostError) -> CommunityLog {
        guard let log = logs.withLock({ $0[community] }) else {
            throw CommunityHostError(.notFound, "this node holds no community or institution \(community.short) (see 'oms community list')")
        }
        return log
    }

    /// A community by id, or by its manifest's name when one held community has it; of `group`
    /// only, when given.
    public func resolve(_ reference: String, group: CommunityEvent.Group? = nil) throws(CommunityHostError) -> TCCID {
        let kind = group.map { "\($0)" } ?? "community"
        if let id = TCCID(reference), let log = logs.withLock({ $0[id] }) {
            guard group == nil || log.state.group == group else {
                let found = log.state.group == .institution ? "an institution" : "a community"
                throw CommunityHostError(.notFound, "\(id.short) is \(found), not a\(group == .institution ? "n" : "") \(kind)")
            }
            return id
        }
        let named = logs.withLock {
            $0.filter { $0.value.state.manifest?.manifest.name == reference && (group == nil || $0.value.state.group == group) }.map(\.key)
        }
        guard named.count == 1 else {
            throw named.isEmpty
                ? CommunityHostError(.notFound, "this node holds no \(kind) '\(reference.printable(limit: 100))' (see 'oms \(kind) list')")
                : CommunityHostError(.ambiguous, "several \(kind == "community" ? "communities" : "institutions") are named '\(reference)': use its id")
        }
        return named[0]
    }

    // MARK: Acting

    /// Founds a community: `tcc` signs the create event with a new persona for it.
    public func create(manifest: ManifestDocument, tcc: TCCRecord) throws -> CommunityLog {
        try found(.community, manifest: manifest, as: Signer(tcc: tcc, persona: try memberPersona(of: tcc, in: nil), member: tcc.id))
    }

    /// Founds a log of `group` whose first member is `signer`: its create event, stored, audited.
    func found(_ group: CommunityEvent.Group, manifest: ManifestDocument, as signer: Signer) throws -> CommunityLog {
        let (tcc, persona) = (signer.tcc, signer.persona)
        let key = try host.personaKey(persona, of: tcc)
        let create = try CommunityEvent(
            community: nil, time: nowMs, parents: [], body: .create(group: group, tcc: signer.member, node: node.id, manifest: manifest)
        ).signed(with: key)
        let log = try CommunityLog(create: create)
        try host.store.addCommunity(log.community, events: [create], at: host.now())
        logs.withLock { $0[log.community] = log }
        try host.audit(tcc, .membership, ["action": "\(group).create", "community": log.community.description, "persona": persona.id.description])
        if manifest.manifest.discovery == .public { announceLater(log.community) }
        return log
    }

    /// Signs an event of `body` as `tcc`'s member persona (see the signer's variant).
    @discardableResult
    public func act(_ community: TCCID, as tcc: TCCRecord, _ body: CommunityEvent.Body, offer: Bool = true) async throws -> SignedCommunityEvent {
        try await act(community, as: try signer(tcc, in: try log(community)), body, offer: offer)
    }

    /// Signs an event of `body` as `signer`, folds and stores it, and offers it to the members'
    /// nodes connected now. Refused (with the fold's code) when the state before it does not
    /// allow it. `offer: false` keeps it here until a sync (a partition, in tests).
    func act(_ community: TCCID, as signer: Signer, _ body: CommunityEvent.Body, offer: Bool = true) async throws -> SignedCommunityEvent {
        let tcc = signer.tcc
        let key = try host.personaKey(signer.persona, of: tcc)
        let event = try await NIOThreadPool.singleton.runIfActive { try self.sign(community, body, with: key) }
        // Stored: an audit failure now must not make the owner sign it again.
        let group = (try? log(community).state.group) ?? .community
        if (try? host.audit(tcc, .membership, ["action": "\(group).\(body.kind)", "community": community.description, "event": event.id.description]))
            == nil
        {
            node.logger.error("community event stored but not audited", metadata: ["community/event": "\(event.id)"])
        }
        if offer { await self.offer([event], of: community, except: nil) }
        return event
    }

    /// Signs an event on the heads held, folds it and stores it, in one step under the lock.
    func sign(_ community: TCCID, _ body: CommunityEvent.Body, with key: Ed25519.PrivateKey) throws -> SignedCommunityEvent {
        var signed: SignedCommunityEvent?
        _ = try commit(community) { log in
            let parents = Self.ascending(log.heads).prefix(CommunityEvent.maximumParents)
            let latest = parents.map { log.events[$0]!.event.time }.max() ?? 0
            let event = try CommunityEvent(community: community, time: max(nowMs, latest), parents: Array(parents), body: body)
                .signed(with: key)
            try log.insert(event, now: nowMs)
            signed = event
            return [event]
        }
        guard let event = signed else { throw CommunityHostError(.notFound, "no community \(community.short)") }
        return event
    }

    /// Joins through `peer`, a node holding the community: reads its description, signs the
    /// manifest in force with a new persona of `tcc` (the opt-in), offers the join to the peer,
    /// then syncs the log from it. Throws the peer's refusal when the join is not accepted.
    public func join(_ community: TCCID, via peer: NodeID, as tcc: TCCRecord, evidence: [UInt8] = []) async throws -> CommunityLog {
        try await join(community, via: peer, group: .community, evidence: evidence) { _ in
            Signer(tcc: tcc, persona: try self.memberPersona(of: tcc, in: community), member: tcc.id)
        }
    }

    /// Joins a log of `group` as the signer `signer` gives for the manifest the peer describes
    /// (an institution's join is signed only for the manifest the community agreed to).
    func join(
        _ community: TCCID, via peer: NodeID, group: CommunityEvent.Group, evidence: [UInt8] = [], signer: (ManifestDocument) throws -> Signer
    ) async throws -> CommunityLog {
        let (create, manifest, heads, described) = try await describe(community, via: peer)
        guard described == group else {
            // Nothing in a log tells a person's TCC from a community: the joiner's node must.
            throw CommunityHostError(.wrongGroup, "\(community.short) is a\(described == .institution ? "n" : "") \(described): join it as one")
        }
        let signer = try signer(manifest)
        let tcc = signer.tcc
        if let state = logs.withLock({ $0[community]?.state }),
            state.members.values.contains(where: { $0.tcc == signer.member && $0.status != .left })
                || state.applicants.values.contains(where: { $0.tcc == signer.member })
        {
            // Under another persona the log would take it: one TCC, one membership.
            let who = signer.member == tcc.id ? "\(tcc.name)" : signer.member.short
            throw CommunityError(.alreadyMember, "\(who) is already a member of \(community.short), or has applied")
        }
        let persona = signer.persona
        let key = try host.personaKey(persona, of: tcc)
        let join = try CommunityEvent(
            community: community, time: nowMs, parents: heads,
            body: .join(manifestHash: manifest.hash, tcc: signer.member, node: node.id, evidence: evidence)
        ).signed(with: key)
        let ack = try await push([join], of: community, to: peer)
        if let refusal = ack.refused.first {
            throw CommunityError(.init(refusal.code.printable(limit: 32)), refusal.reason.printable(limit: 200))
        }
        // Held here only once a member's node has accepted the join.
        if logs.withLock({ $0[community] }) == nil {
            let log = try CommunityLog(create: create)
            try host.store.addCommunity(community, events: [create], at: host.now())
            logs.withLock { $0[community] = $0[community] ?? log }
        }
        try await sync(community, from: peer)
        try host.audit(tcc, .membership, ["action": "\(group).join", "community": community.description, "persona": persona.id.description])
        return try log(community)
    }

    /// What `peer` says of a community: its create event, the manifest in force and (the 16
    /// least of) its heads, each checked as far as it can be without the log.
    func describe(_ community: TCCID, via peer: NodeID) async throws -> (
        create: SignedCommunityEvent, manifest: ManifestDocument, heads: [ObjectID], group: CommunityEvent.Group
    ) {
        var request = WireFrame()
        request.communityDescribe = .with { $0.community = Data(community.bytes) }
        guard case .communityDescription(let description)? = try await node.request(request, to: peer).body else {
            throw CommunityHostError(.badPeer, "node \(peer.short) answered a describe with another frame")
        }
        // What the peer describes is its word until checked: anything unreadable is its fault.
        let create: SignedCommunityEvent
        let manifest: ManifestDocument
        do {
            create = try SignedCommunityEvent.open(Array(description.createEvent))
            manifest = try ManifestDocument(bytes: Array(description.manifest))
        } catch {
            throw CommunityHostError(.badPeer, "node \(peer.short) described the community with something unreadable: \(error)")
        }
        guard create.communityID == community else {
            throw CommunityHostError(.badPeer, "node \(peer.short) described another community")
        }
        let heads = description.heads.prefix(CommunityEvent.maximumParents).filter { $0.count == 32 }.map { ObjectID(uncheckedBytes: Array($0)) }
            .sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        guard !heads.isEmpty else { throw CommunityHostError(.badPeer, "node \(peer.short) described no heads") }
        guard case .create(let group, _, _, _) = create.event.body else { throw CommunityHostError(.badPeer, "node \(peer.short) described no create event") }
        return (create, manifest, heads, group)
    }

    /// `tcc` as the signer of its events in a community: its persona there.
    func signer(_ tcc: TCCRecord, in log: CommunityLog) throws -> Signer {
        Signer(tcc: tcc, persona: try persona(of: tcc, in: log), member: tcc.id)
    }

    /// The persona `tcc` is (or was, or applies as) in the community.
    func persona(of tcc: TCCRecord, in log: CommunityLog) throws -> PersonaRecord {
        let state = log.state
        let candidates = state.members.filter { $0.value.tcc == tcc.id }.map(\.key) + state.applicants.filter { $0.value.tcc == tcc.id }.map(\.key)
        for id in candidates {
            if let record = try host.store.persona(id), record.tcc == tcc.id { return record }
        }
        throw CommunityHostError(.notMember, "\(tcc.name) is not a member of \(log.community.short) (join it first)")
    }

    /// A new persona of `tcc` for one community: one per community, so that nothing links a
    /// person's communities unless they link them. Founding, the id is not known yet: a random
    /// context; joining, the community's id names it.
    public func memberPersona(of tcc: TCCRecord, in community: TCCID?) throws -> PersonaRecord {
        let suffix = community.map { Array($0.bytes.prefix(6)).hex } ?? SecureRandom.bytes(6).hex
        let context = try Name("community-\(suffix)")
        return try host.persona(of: tcc, context: context)
    }

    // MARK: Moving events

    /// Inserts events received from a peer, in order; stores the accepted ones in one
    /// transaction. Returns the accepted events and the refusals (duplicates are neither).
    func receive(_ events: [SignedCommunityEvent], of community: TCCID) throws -> (accepted: [SignedCommunityEvent], refused: [(ObjectID, CommunityError)]) {
        let now = nowMs
        var refused: [(ObjectID, CommunityError)] = []
        let accepted = try commit(community) { log in
            var accepted: [SignedCommunityEvent] = []
            for event in events {
                do throws(CommunityError) {
                    try log.insert(event, now: now)
                    accepted.append(event)
                } catch {
                    if error.code != .duplicate { refused.append((event.id, error)) }
                }
            }
            return accepted
        }
        return (accepted, refused)
    }

    /// Offers events to the connected nodes of the community's members and applicants.
    func offer(_ events: [SignedCommunityEvent], of community: TCCID, except source: NodeID?) async {
        guard let state = logs.withLock({ $0[community]?.state }) else { return }
        let peers = await node.connectedPeers().filter { $0 != source && $0 != node.id && state.mayRead(node: $0) }
        await withTaskGroup(of: Void.self) { group in
            for peer in peers {
                group.addTask { _ = try? await self.push(events, of: community, to: peer) }
            }
        }
    }

    func push(_ events: [SignedCommunityEvent], of community: TCCID, to peer: NodeID) async throws -> WireCommunityAck {
        var request = WireFrame()
        request.communityPush = .with {
            $0.community = Data(community.bytes)
            $0.events = events.map { Data($0.envelope.bytes) }
        }
        guard case .communityAck(let ack)? = try await node.request(request, to: peer).body else {
            throw CommunityHostError(.badPeer, "node \(peer.short) answered a push with another frame")
        }
        return ack
    }

    /// Opens (verifies) a batch of events on every core: the signature checks are most of what
    /// a sync costs.
    static func open(_ batch: [[UInt8]]) async throws -> [SignedCommunityEvent] {
        let lanes = max(1, min(ProcessInfo.processInfo.activeProcessorCount, batch.count / 64))
        guard lanes > 1 else { return try batch.map { bytes throws(CommunityError) in try SignedCommunityEvent.open(bytes) } }
        let size = (batch.count + lanes - 1) / lanes
        return try await withThrowingTaskGroup(of: (Int, [SignedCommunityEvent]).self) { group in
            for lane in 0..<lanes {
                let slice = Array(batch[min(lane * size, batch.count)..<min((lane + 1) * size, batch.count)])
                group.addTask { (lane, try slice.map { bytes throws(CommunityError) in try SignedCommunityEvent.open(bytes) }) }
            }
            var parts = [[SignedCommunityEvent]](repeating: [], count: lanes)
            for try await (lane, events) in group { parts[lane] = events }
            return parts.flatMap { $0 }
        }
    }

    static func syncFrame(_ community: TCCID, heads: [ObjectID]) -> WireFrame {
        var frame = WireFrame()
        frame.communitySync = .with {
            $0.community = Data(community.bytes)
            $0.heads = heads.map { Data($0.bytes) }
        }
        return frame
    }

    /// Fetches what `peer` holds and this node lacks, a frame at a time. Returns how many events
    /// were accepted.
    @discardableResult
    public func sync(_ community: TCCID, from peer: NodeID) async throws -> Int {
        var total = 0
        var stalls = 0
        let first = Self.ascending(try log(community).heads)
        var next: Task<WireFrame, any Error>? = Task { try await node.request(Self.syncFrame(community, heads: first), to: peer) }
        defer { next?.cancel() }
        while let pending = next {
            let reply = try await pending.value
            next = nil
            guard case .communityEvents(let batch)? = reply.body, batch.community == Data(community.bytes) else {
                throw CommunityHostError(.badPeer, "node \(peer.short) answered a sync with another frame")
            }
            guard batch.events.count <= Self.batchEvents else {
                throw CommunityHostError(.badPeer, "node \(peer.short) sent \(batch.events.count) events in one frame")
            }
            if !batch.complete, let last = batch.events.last {
                // The next frame is asked for while this one is checked: after the batch, the
                // batch's last event is what this node will hold (the peer sends any event
                // that is not its ancestor again, and those are dropped as duplicates).
                let head = ObjectID(uncheckedBytes: BLAKE2b.hash(Array(last), outputLength: 32))
                next = Task { try await node.request(Self.syncFrame(community, heads: [head]), to: peer) }
            }
            let opened = try await Self.open(batch.events.map { Array($0) })
            let (accepted, refused) = try await NIOThreadPool.singleton.runIfActive { try self.receive(opened, of: community) }
            total += accepted.count
            if !accepted.isEmpty { await offer(accepted, of: community, except: peer) }
            if accepted.isEmpty, let (id, error) = refused.first {
                // Nothing new, and something refused: the peer's log breaks the rules here.
                throw CommunityError(error.code, "node \(peer.short) sent event \(id.short), refused: \(error.context)")
            }
            if accepted.isEmpty {
                // Nothing new (all duplicates): ask once more from the heads held now, in case
                // the guess of the next heads was wrong; a peer that still sends nothing new
                // is not asked again in this sync.
                stalls += 1
                next?.cancel()
                next = nil
                guard stalls < 2, !batch.complete else { break }
                let heads = Self.ascending(try log(community).heads)
                next = Task { try await node.request(Self.syncFrame(community, heads: heads), to: peer) }
            } else {
                stalls = 0
            }
        }
        return total
    }

    /// Syncs every community from every connected node of its members: what the periodic
    /// anti-entropy runs.
    public func syncAll() async {
        _ = try? purgeExpired()
        let peers = await node.connectedPeers()
        for community in ids() {
            guard let state = logs.withLock({ $0[community]?.state }) else { continue }
            for peer in peers where peer != node.id && state.mayRead(node: peer) {
                _ = try? await sync(community, from: peer)
            }
        }
    }
}

/// Who signs in a log: in a community, a persona of one of this node's TCCs; in an institution,
/// a community's key, held by this node's member TCC of that community. `member` is what a
/// create or join names as the member's tcc: the TCC itself, or the community.
struct Signer: Sendable {
    var tcc: TCCRecord
    var persona: PersonaRecord
    var member: TCCID
}

/// Why the node could not do what was asked of a community: the log's own refusals are
/// `CommunityError`s; these are the node's.
public typealias CommunityHostError = CodedError<CommunityHostErrorDomain>

public enum CommunityHostErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == CommunityHostErrorDomain {
    public static var notFound: Self { Self("notFound") }
    /// A name that several held communities have.
    public static var ambiguous: Self { Self("ambiguous") }
    public static var notMember: Self { Self("notMember") }
    public static var notAllowed: Self { Self("notAllowed") }
    /// A question a community cannot combine answers to.
    public static var invalidQuestion: Self { Self("invalidQuestion") }
    /// A community where an institution is meant, or the reverse: nothing in a log tells a
    /// person's TCC from a community, so the node that signs must.
    public static var wrongGroup: Self { Self("wrongGroup") }
    /// A peer answered with something that is not what the protocol says.
    public static var badPeer: Self { Self("badPeer") }
}
