import Foundation
import Logging
import OMSCore
import OMSCrypto
import OMSProtocol

/// What the node's gossip holds: SWIM membership over the node sessions, the gate that checks
/// what comes in, and the dissemination of public manifests (protocol-spec §17). The state
/// machines are OMSCore's; this is their shell's state.
struct NodeGossip {
    var swim: SWIMInstance<NodeID>
    var gate: MembershipGate
    var items: Dissemination<NodeID, TCCID>
    /// Refusals by code, membership and items together, for status and tests.
    var refusals: [String: Int] = [:]
    /// Messages the testnet's fault layer dropped, and those with no session to go over.
    var dropped = 0
    var unreachable = 0
    /// The incarnation `gate` holds this node's signature of.
    var signedIncarnation: UInt64?
    /// When the gate next forgets the members SWIM forgot.
    var nextPrune: UInt64 = 1000
    var random = SystemRandomNumberGenerator()

    init(configuration: NodeConfiguration, myself: NodeID) {
        let seed = SecureRandom.uint64()
        // A restarted node starts above any incarnation of its last life (one a second at most
        // could have been spent refuting), so its peers take its `alive` at once.
        let incarnation = UInt64(Date().timeIntervalSince1970)
        swim = SWIMInstance(myself: myself, settings: configuration.membership, seed: seed, now: 0, incarnation: incarnation)
        gate = MembershipGate(network: configuration.network, myself: myself, maximumMembers: configuration.limits.maximumMembers)
        items = Dissemination(settings: configuration.dissemination, seed: seed ^ 0x5eed, now: 0)
    }
}

extension Node {
    /// Milliseconds on the gossip clock (since the node started).
    var gossipNow: UInt64 { UInt64(max(0, (ContinuousClock.now - gossipEpoch).seconds * 1000)) }

    /// Runs SWIM's and dissemination's timers until cancelled.
    func gossipLoop() async {
        restoreCatalog()
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
        gossip.items.forget(peer)
    }

    /// Whether `peer` is banned now (refused at registration).
    func isBanned(_ peer: NodeID) -> Bool { (gossip.items.banned[peer] ?? 0) > gossipNow }

    // MARK: Receiving

    func receivedGossip(_ frame: WireFrame, from session: PeerSession) {
        let peer = session.remote
        guard !isBanned(peer) else { return }
        let now = gossipNow
        switch frame.body {
        case .membership(let wire):
            let decoded: (message: SWIMMessage<NodeID>, updates: [SignedUpdate])
            do {
                decoded = try SWIMMessage.decode(
                    wire, maximumUpdates: configuration.membership.maximumPiggyback, maximumPushPull: configuration.membership.maximumPushPull)
            } catch {
                carryOut(gossip.items.charge(peer, error, now: now))
                return
            }
            var admitted: [SWIMUpdate<NodeID>] = []
            admitted.reserveCapacity(decoded.updates.count)
            for update in decoded.updates {
                do {
                    try gossip.gate.admit(update)
                    admitted.append(update.update)
                } catch {
                    // A forged alive is proof of a bad peer; a suspicion at an unknown
                    // incarnation may be an honest peer's news that overtook the member's own.
                    if error.code == .badSignature {
                        carryOut(gossip.items.charge(peer, error, now: now))
                    } else {
                        count(error)
                    }
                }
            }
            if gossip.swim.member(peer) == nil { carryOut(gossip.swim.add(peer, now: now)) }
            carryOut(gossip.swim.onMessage(decoded.message.replacingUpdates(admitted), from: peer, now: now))
        case .announcements(let wire):
            guard wire.items.count <= configuration.dissemination.maximumItemsPerMessage else {
                carryOut(
                    gossip.items.charge(
                        peer,
                        GossipError(.oversized, "\(wire.items.count) items in one frame; at most \(configuration.dissemination.maximumItemsPerMessage)"),
                        now: now))
                return
            }
            var opened: [ObjectID: ManifestAnnouncement] = [:]
            let directives = gossip.items.onItems(wire.items.map { Array($0) }, from: peer, now: now) { bytes throws(GossipError) in
                let announcement = try ManifestAnnouncement.open(bytes)
                opened[announcement.content] = announcement
                return announcement.item
            }
            carryOut(directives, opened: opened)
        case .digest(let wire):
            // Bounded before anything is built from it.
            guard wire.entries.count <= configuration.dissemination.maximumDigest else {
                let limit = configuration.dissemination.maximumDigest
                carryOut(gossip.items.charge(peer, GossipError(.oversized, "\(wire.entries.count) digest entries; at most \(limit)"), now: now))
                return
            }
            var entries: [DigestEntry<TCCID>] = []
            entries.reserveCapacity(wire.entries.count)
            for entry in wire.entries {
                guard let key = try? TCCID(bytes: Array(entry.key)), let content = try? ObjectID(bytes: Array(entry.content)) else {
                    carryOut(gossip.items.charge(peer, GossipError(.malformed, "a digest entry's ids are 32 bytes"), now: now))
                    return
                }
                entries.append(DigestEntry(key: key, version: entry.version, content: content))
            }
            carryOut(gossip.items.onDigest(entries, reply: wire.reply, from: peer, now: now))
        default:
            break
        }
    }

    // MARK: Publishing and reading

    /// Holds this node's own announcement and gossips it.
    public func publish(_ announcement: ManifestAnnouncement) {
        carryOut(gossip.items.publish(announcement.item, now: gossipNow), opened: [announcement.content: announcement])
    }

    /// Puts the stored catalog back into dissemination (for digests), verifying each again.
    func restoreCatalog() {
        for bytes in (try? store?.catalogAnnouncements()) ?? [] {
            if let announcement = try? ManifestAnnouncement.open(bytes) { gossip.items.restore(announcement.item) }
        }
    }

    /// The node's view of the membership and its gossip counters.
    public func membershipStatus() -> MembershipStatus {
        var members = gossip.swim.members.roster.compactMap { gossip.swim.members[$0] }.map {
            MembershipStatus.Member(node: $0.peer, status: $0.status.description, incarnation: $0.incarnation)
        }
        members.sort { $0.node < $1.node }
        return MembershipStatus(
            incarnation: gossip.swim.incarnation, localHealth: gossip.swim.localHealth, members: members,
            promisedDetectionMs: configuration.membership.promisedDetection(members: gossip.swim.liveCount),
            catalogItems: gossip.items.items.count, refusals: gossip.refusals, dropped: gossip.dropped, unreachable: gossip.unreachable,
            banned: gossip.items.banned.filter { $0.value > gossipNow }.keys.sorted())
    }

    // MARK: Carrying out

    private func carryOut(_ directives: [SWIMInstance<NodeID>.Directive]) {
        signOwnIncarnation()
        for directive in directives {
            switch directive {
            case .send(let message, let peer):
                var frame = WireFrame()
                frame.membership = message.wire { self.gossip.gate.signature(for: $0) }
                send(frame, to: peer)
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
    }

    private func carryOut(_ directives: [Dissemination<NodeID, TCCID>.Directive], opened: [ObjectID: ManifestAnnouncement] = [:]) {
        for directive in directives {
            switch directive {
            case .sendItems(let items, let peer):
                var frame = WireFrame()
                frame.announcements = .with { $0.items = items.map { Data($0) } }
                send(frame, to: peer)
            case .sendDigest(let entries, let reply, let peer):
                var frame = WireFrame()
                frame.digest = .with {
                    $0.reply = reply
                    $0.entries = entries.map { entry in
                        .with {
                            $0.key = Data(entry.key.bytes)
                            $0.version = entry.version
                            $0.content = Data(entry.content.bytes)
                        }
                    }
                }
                send(frame, to: peer)
            case .stored(let item):
                guard let announcement = opened[item.content] else { continue }
                do {
                    try store?.catalog(announcement, receivedAtMs: Int64(Date().timeIntervalSince1970 * 1000))
                    logger.info(
                        "manifest catalogued",
                        metadata: [
                            "community/id": "\(announcement.community.short)", "community/name": "\(announcement.manifest.manifest.name)",
                            "community/version": "\(announcement.version)",
                        ])
                } catch {
                    logger.error("catalog write failed", metadata: ["node/error": "\(error)"])
                }
            case .refused(let error, let peer):
                count(error)
                logger.debug("gossip refused", metadata: ["node/peer": "\(peer.short)", "gossip/error": "\(error)"])
            case .ban(let peer, let until):
                logger.notice(
                    "peer banned: too many invalid gossip items",
                    metadata: ["node/peer": "\(peer.short)", "gossip/seconds": "\((until - gossipNow) / 1000)"])
                if let session = sessions[peer] {
                    Task {
                        await session.close(
                            reason: "banned", farewell: SessionInstance.errorFrame(.protocolViolation, "too many invalid gossip items: banned for a while"))
                    }
                }
            }
        }
    }

    private func count(_ error: GossipError) {
        gossip.refusals[error.code.name, default: 0] += 1
        metrics.gossipRefused(error.code.name)
    }

    /// Sends a gossip frame if a session carries it; the testnet's fault layer may drop it.
    private func send(_ frame: WireFrame, to peer: NodeID) {
        guard let session = sessions[peer], gossipPeers.contains(peer) else {
            gossip.unreachable += 1
            return
        }
        if configuration.faultLoss > 0, Double.random(in: 0..<1, using: &gossip.random) < configuration.faultLoss {
            gossip.dropped += 1
            return
        }
        Task { await session.send([frame]) }
    }

    private func signOwnIncarnation() {
        let incarnation = gossip.swim.incarnation
        guard gossip.signedIncarnation != incarnation else { return }
        gossip.gate.signedOwn(
            incarnation: incarnation, signature: AliveStatement.sign(network: configuration.network, incarnation: incarnation, with: configuration.identity))
        gossip.signedIncarnation = incarnation
    }
}

/// The node's membership view and gossip counters, as `oms node status` shows them.
public struct MembershipStatus: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var node: NodeID
        /// alive, suspect or dead.
        public var status: String
        public var incarnation: UInt64

        public init(node: NodeID, status: String, incarnation: UInt64) {
            self.node = node
            self.status = status
            self.incarnation = incarnation
        }
    }

    public var incarnation: UInt64
    public var localHealth: Int
    public var members: [Member]
    /// Within how long of a member's crash every live member declares it dead, by the
    /// settings and the membership's size (`SWIMSettings.promisedDetection`).
    public var promisedDetectionMs: UInt64
    public var catalogItems: Int
    public var refusals: [String: Int]
    public var dropped: Int
    public var unreachable: Int
    public var banned: [NodeID]

    public init(
        incarnation: UInt64, localHealth: Int, members: [Member], promisedDetectionMs: UInt64, catalogItems: Int, refusals: [String: Int], dropped: Int, unreachable: Int,
        banned: [NodeID]
    ) {
        self.incarnation = incarnation
        self.localHealth = localHealth
        self.members = members
        self.promisedDetectionMs = promisedDetectionMs
        self.catalogItems = catalogItems
        self.refusals = refusals
        self.dropped = dropped
        self.unreachable = unreachable
        self.banned = banned
    }
}
