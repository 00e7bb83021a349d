import Foundation
import Logging
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// What the node's gossip holds: SWIM membership over the node sessions, the gate that checks
/// what comes in, and the dissemination of public manifests (protocol-spec §17). The state
/// machines are OMSCore's; this is their shell's state.
struct NodeGossip {
    var swim: SWIMInstance<NodeID>
    var gate: MembershipGate
    var items: Dissemination<NodeID, GossipKey>
    /// Each peer's membership frames, at most 50 tokens a second with a burst of 100 (a frame
    /// takes one, and one more for each 32 updates): an honest peer sends a few small ones a
    /// second and a push-pull now and then; more is a flood, charged as one.
    var membershipBudgets: [NodeID: TokenBucket] = [:]
    /// Refusals by code, membership and items together, for status and tests.
    var refusals: [String: Int] = [:]
    /// Messages the testnet's fault layer dropped, and those with no session to go over.
    var dropped = 0
    var unreachable = 0
    /// The incarnation `gate` holds this node's signature of.
    var signedIncarnation: UInt64?
    /// Incarnations up to this are reserved in the store: a restart starts above them.
    var reservedIncarnation: UInt64
    /// When the gate next forgets the members SWIM forgot.
    var nextPrune: UInt64 = 1000
    var random = SystemRandomNumberGenerator()

    /// Incarnations reserved in the store at a time: a node that refutes this often writes once.
    static let reservationBlock: UInt64 = 100_000

    init(configuration: NodeConfiguration, myself: NodeID, reserved: UInt64) {
        let seed = SecureRandom.uint64()
        // Above every incarnation of its last life (the store's reservation), so that peers
        // that hold it dead take this life's alive at once; the clock for a node without one.
        let incarnation = max(UInt64(Date().timeIntervalSince1970), reserved)
        swim = SWIMInstance(myself: myself, settings: configuration.membership, seed: seed, now: 0, incarnation: incarnation)
        gate = MembershipGate(network: configuration.network, myself: myself, maximumMembers: configuration.limits.maximumMembers)
        items = Dissemination(settings: configuration.dissemination, seed: seed ^ 0x5eed, now: 0)
        reservedIncarnation = reserved
    }

    static let membershipRate = 50.0
    static let membershipBurst = 100.0
}

extension Node {
    /// Milliseconds on the gossip clock (since the node started).
    var gossipNow: UInt64 { UInt64(max(0, (ContinuousClock.now - gossipEpoch).seconds * 1000)) }

    /// Runs SWIM's and dissemination's timers until cancelled.
    func gossipLoop() async {
        await restoreCatalog()
        while !Task.isCancelled {
            let wait = gossipTick()
            try? await Task.sleep(for: .milliseconds(wait))
        }
    }

    /// One pass of both timers; returns how long to sleep (ms), at most 50 so that a deadline
    /// a message set meanwhile is not missed by much.
    func gossipTick() -> Int64 {
        let now = gossipNow
        if now >= gossip.swim.nextDeadline { carryOut(gossip.swim.onTick(now: now)) }
        if now >= gossip.items.nextDeadline {
            let members = gossipPeers.filter { gossip.swim.member($0)?.status != .dead }.sorted()
            carryOut(gossip.items.onTick(now: now, members: members, n: gossip.swim.liveCount))
        }
        if now >= gossip.nextPrune {
            gossip.nextPrune = now + 1000
            let swim = gossip.swim
            gossip.gate.prune { swim.member($0) != nil }
        }
        let next = min(gossip.swim.nextDeadline, gossip.items.nextDeadline)
        return Int64(min(50, max(1, next > now ? next - now : 1)))
    }

    /// A session came up: its peer is a member (alive at incarnation 0 until it says more).
    func gossipSessionEstablished(_ peer: NodeID) {
        gossipPeers.insert(peer)
        carryOut(gossip.swim.add(peer, now: gossipNow))
    }

    func gossipSessionClosed(_ peer: NodeID) {
        gossipPeers.remove(peer)
        gossip.membershipBudgets[peer] = nil
        gossip.items.forget(peer, now: gossipNow)
    }

    /// Whether `peer` is banned now (refused at registration).
    func isBanned(_ peer: NodeID) -> Bool { gossip.items.isBanned(peer, now: gossipNow) }

    // MARK: Receiving

    func receivedGossip(_ frame: WireFrame, from session: PeerSession) {
        let peer = session.remote
        guard !isBanned(peer) else { return }
        let now = gossipNow
        switch frame.body {
        case .membership(let wire):
            receivedMembership(wire, from: peer, now: now)
        case .announcements(let wire):
            let received: [[UInt8]]
            do {
                received = try DisseminationWire.items(of: wire, maximum: configuration.dissemination.maximumItemsPerMessage)
            } catch {
                return carryOut(gossip.items.charge(peer, error, now: now))
            }
            var opened: [ObjectID: GossipedObject] = [:]
            let directives = gossip.items.onItems(received, from: peer, now: now) { bytes throws(GossipError) in
                let object = try GossipedObject.open(bytes)
                let item = object.item
                opened[item.content] = object
                return item
            }
            carryOut(directives, opened: opened)
        case .digest(let wire):
            do {
                let entries = try DisseminationWire.entries(of: wire, maximum: configuration.dissemination.maximumDigest)
                carryOut(gossip.items.onDigest(entries, reply: wire.reply, from: peer, now: now))
            } catch {
                carryOut(gossip.items.charge(peer, error, now: now))
            }
        default:
            break
        }
    }

    private func receivedMembership(_ wire: WireMembership, from peer: NodeID, now: UInt64) {
        // Each signature checked is work: a message costs one token and one more for each 32
        // updates it carries, whatever its kind (a push-pull's reply carries as many).
        let cost = 1 + Double(wire.updates.count / 32)
        var budget = gossip.membershipBudgets[peer] ?? TokenBucket(rate: NodeGossip.membershipRate, burst: NodeGossip.membershipBurst, now: now)
        let allowed = budget.take(cost, now: now)
        gossip.membershipBudgets[peer] = budget
        guard allowed else {
            return carryOut(gossip.items.charge(peer, GossipError(.flood, "membership messages over \(NodeGossip.membershipRate)/s"), now: now))
        }
        let decoded: (message: SWIMMessage<NodeID>, updates: [SignedUpdate])
        do {
            decoded = try SWIMMessage.decode(
                wire, maximumUpdates: configuration.membership.maximumPiggyback, maximumPushPull: configuration.membership.maximumPushPull)
        } catch {
            return carryOut(gossip.items.charge(peer, error, now: now))
        }
        var admitted: [SWIMUpdate<NodeID>] = []
        admitted.reserveCapacity(decoded.updates.count)
        for update in decoded.updates {
            do {
                admitted.append(try gossip.gate.admit(update, from: peer))
            } catch {
                // A forged alive is proof of a bad peer; a suspicion at an incarnation not yet
                // heard of may be an honest peer's news that overtook the member's own.
                if error.code == .badSignature {
                    carryOut(gossip.items.charge(peer, error, now: now))
                    // Banned: nothing more of what it sent is worth the work.
                    if isBanned(peer) { return }
                } else {
                    count(error)
                }
            }
        }
        if gossip.swim.member(peer) == nil { carryOut(gossip.swim.add(peer, now: now)) }
        carryOut(gossip.swim.onMessage(decoded.message.replacingUpdates(admitted), from: peer, now: now))
    }

    // MARK: Publishing and reading

    /// Holds this node's own announcement and gossips it.
    public func publish(_ announcement: ManifestAnnouncement) {
        carryOut(gossip.items.publish(announcement.item, now: gossipNow), opened: [announcement.content: .announcement(announcement)])
    }

    /// Gossips a TCF's new location (the migration that moved it has stored it already).
    public func publish(_ location: TCFLocation) {
        carryOut(gossip.items.publish(location.item, now: gossipNow))
    }

    /// Puts the stored catalog and TCF locations back into dissemination (for digests), each
    /// announcement checked again off the actor: a full catalog is thousands of signatures and
    /// manifests.
    func restoreCatalog() async {
        guard let store else { return }
        let items = await Task.detached {
            ((try? store.catalogAnnouncements()) ?? []).compactMap { try? ManifestAnnouncement.open($0).item }
                + ((try? store.tcfLocations()) ?? []).map(\.item)
        }.value
        for item in items { gossip.items.restore(item) }
    }

    /// The node's view of the membership and its gossip counters.
    public func membershipStatus() -> MembershipStatus {
        var members = gossip.swim.members.roster.compactMap { gossip.swim.members[$0] }.map {
            MembershipStatus.Member(node: $0.peer, status: $0.status.description, incarnation: $0.incarnation)
        }
        members.sort { $0.node < $1.node }
        let now = gossipNow
        return MembershipStatus(
            incarnation: gossip.swim.incarnation, localHealth: gossip.swim.localHealth, members: members,
            promisedDetectionMs: configuration.membership.promisedDetection(members: gossip.swim.liveCount),
            catalogItems: gossip.items.items.count, refusals: gossip.refusals, dropped: gossip.dropped, unreachable: gossip.unreachable,
            banned: gossip.items.banned.filter { $0.value > now }.keys.sorted())
    }

    // MARK: Carrying out

    private func carryOut(_ directives: [SWIMInstance<NodeID>.Directive]) {
        keepIncarnationSigned()
        var outgoing: [NodeID: [WireFrame]] = [:]
        for directive in directives {
            switch directive {
            case .send(let message, let peer):
                var frame = WireFrame()
                frame.membership = message.wire { self.gossip.gate.signature(for: $0) }
                outgoing[peer, default: []].append(frame)
            case .changed(let member, let previous):
                let level: Logger.Level = member.status == .alive && (previous == nil || previous == .alive) ? .debug : .info
                logger.log(
                    level: level, "member \(member.status)",
                    metadata: [
                        "swim/member": "\(member.peer.short)", "swim/incarnation": "\(member.incarnation)",
                        "swim/previous": "\(previous?.description ?? "-")",
                    ])
                metrics.membershipChange(member.status.description)
            }
        }
        send(outgoing)
    }

    private func carryOut(_ directives: [Dissemination<NodeID, GossipKey>.Directive], opened: [ObjectID: GossipedObject] = [:]) {
        var outgoing: [NodeID: [WireFrame]] = [:]
        for directive in directives {
            switch directive {
            case .sendItems(let items, let peer):
                outgoing[peer, default: []].append(DisseminationWire.announcements(items))
            case .sendDigest(let entries, let reply, let peer):
                outgoing[peer, default: []].append(DisseminationWire.digest(entries, reply: reply))
            case .stored(let item):
                switch opened[item.content] {
                case .announcement(let announcement): catalog(announcement)
                case .location(let location): locate(location)
                case nil: continue
                }
            case .refused(let error, let peer):
                count(error)
                logger.debug("gossip refused", metadata: ["node/peer": "\(peer.short)", "gossip/error": "\(error)"])
            case .ban(let peer, _):
                logger.notice(
                    "peer banned: too many invalid gossip items",
                    metadata: ["node/peer": "\(peer.short)", "gossip/seconds": "\(configuration.dissemination.banDuration / 1000)"])
                outgoing[peer] = nil
                if let session = sessions[peer] {
                    Task {
                        await session.close(
                            reason: "banned", farewell: SessionInstance.errorFrame(.protocolViolation, "too many invalid gossip items: banned for a while"))
                    }
                }
            }
        }
        send(outgoing)
    }

    /// Keeps a TCF's location off the actor; the store refuses one not newer than it holds.
    private func locate(_ location: TCFLocation) {
        guard let store else { return }
        let logger = logger
        Task.detached {
            do {
                try store.keepLocation(location)
                logger.info(
                    "TCF location learned",
                    metadata: ["tcf/id": "\(location.tcf.short)", "tcf/node": "\(location.node.short)", "tcf/sequence": "\(location.sequence)"])
            } catch {
                logger.debug("TCF location not kept", metadata: ["tcf/id": "\(location.tcf.short)", "node/error": "\(error)"])
            }
        }
    }

    /// Writes an announcement to the catalog off the actor (an fsync each); the store keeps the
    /// newest version whatever order the writes finish in.
    private func catalog(_ announcement: ManifestAnnouncement) {
        guard let store else { return }
        let logger = logger
        Task.detached {
            do {
                try store.catalog(announcement, receivedAtMs: Int64(Date().timeIntervalSince1970 * 1000))
                logger.info(
                    "manifest catalogued",
                    metadata: [
                        "community/id": "\(announcement.community.short)", "community/name": "\(announcement.manifest.manifest.name)",
                        "community/version": "\(announcement.version)",
                    ])
            } catch {
                logger.error("catalog write failed", metadata: ["node/error": "\(error)"])
            }
        }
    }

    private func count(_ error: GossipError) {
        gossip.refusals[error.code.name, default: 0] += 1
        metrics.gossipRefused(error.code.name)
    }

    /// Sends each peer its frames in order, one task a peer, over the session if there is one;
    /// the testnet's fault layer may drop any frame.
    private func send(_ outgoing: [NodeID: [WireFrame]]) {
        for (peer, frames) in outgoing {
            guard let session = sessions[peer], gossipPeers.contains(peer) else {
                gossip.unreachable += frames.count
                continue
            }
            var kept = frames
            if configuration.faultLoss > 0 {
                kept = frames.filter { _ in Double.random(in: 0..<1, using: &gossip.random) >= configuration.faultLoss }
                gossip.dropped += frames.count - kept.count
            }
            guard !kept.isEmpty else { continue }
            Task { await session.send(kept) }
        }
    }

    /// Signs this node's alive at its incarnation whenever that changes, and reserves the next
    /// block of incarnations in the store before using them.
    private func keepIncarnationSigned() {
        let incarnation = gossip.swim.incarnation
        guard gossip.signedIncarnation != incarnation else { return }
        if incarnation >= gossip.reservedIncarnation, let store {
            let next = incarnation.addingReportingOverflow(NodeGossip.reservationBlock)
            let limit = next.overflow ? .max : next.partialValue
            do {
                try store.reserveIncarnation(upTo: limit)
                gossip.reservedIncarnation = limit
            } catch {
                logger.error("could not reserve incarnations: a restart may start below this one", metadata: ["node/error": "\(error)"])
            }
        }
        gossip.gate.signedOwn(
            incarnation: incarnation, signature: AliveStatement.sign(network: configuration.network, incarnation: incarnation, with: configuration.identity))
        gossip.signedIncarnation = incarnation
    }
}
