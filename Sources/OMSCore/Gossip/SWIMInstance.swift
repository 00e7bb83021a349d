import Foundation

/// SWIM membership with Lifeguard (Das, Gupta, Motivala 2002; Dadgar et al. 2018), as a pure
/// state machine: the shell feeds it messages and clock ticks (milliseconds) and carries out
/// the directives it returns; it does no I/O, reads no clock and draws randomness only from its
/// seed, so a simulator can run thousands of them deterministically.
///
/// Each probe period (`probeInterval`, stretched by local health) it pings the next member of a
/// shuffled round-robin. Without an ack within `probeTimeout` it asks `indirectChecks` others to
/// ping the target (`pingRequest`); they answer with the target's ack or, Lifeguard, a `nack`.
/// A target still silent at the end of the period is *suspected*; a suspicion not refuted by
/// the member (which raises its incarnation and gossips `alive`) before its Lifeguard deadline
/// makes it *dead*. Updates are piggybacked on every message, each a bounded number of times.
///
/// Lifeguard's three parts: local health (a failed probe, a missing nack, or having to refute a
/// suspicion of oneself raise a score that stretches one's own probe interval and timeout; a
/// successful probe lowers it), dynamic suspicion (`SWIMSuspicion`), and buddy gossip (a ping to
/// a suspected member carries that suspicion first, so the member learns it at once).
public struct SWIMInstance<Peer: Hashable & Comparable & Sendable>: Sendable {
    public enum Directive: Sendable, Hashable {
        case send(SWIMMessage<Peer>, to: Peer)
        /// This node's belief about a member changed (a new member is `previous` nil).
        case changed(SWIMMember<Peer>, previous: SWIMStatus?)
    }

    struct Probe: Sendable {
        var target: Peer
        var sequence: UInt64
        var sentAt: UInt64
        var acked = false
        var indirect = false
        var nacks = 0
        /// The members asked to probe the target, whose acks and nacks count.
        var helpers: Set<Peer> = []
        var expectedNacks: Int { helpers.count }
    }

    /// A probe this node makes for another (`pingRequest`).
    struct Relay: Sendable {
        var origin: Peer
        var target: Peer
        var sequence: UInt64
        var deadline: UInt64
    }

    /// Suspects queued for an early probe: enough to check the few wrong suspicions of a lossy
    /// network, few enough that the round-robin is never starved.
    static var maximumSuspectProbes: Int { 2 }

    public let myself: Peer
    public let settings: SWIMSettings
    public private(set) var incarnation: UInt64 = 0
    /// Lifeguard's local health score, 0 (healthy) to `awarenessMaximum - 1`.
    public private(set) var localHealth = 0
    public private(set) var members: SWIMMembership<Peer>
    public private(set) var suspicions: [Peer: SWIMSuspicion<Peer>] = [:]

    var random: SeededGenerator
    var gossip = GossipBuffer<Peer, SWIMUpdate<Peer>>()
    /// The probe order: roster index `(offset + step · stride) mod size` for step 0 to size, a
    /// permutation when the stride is coprime to the size, drawn afresh each round: a shuffled
    /// round-robin in constant memory, whatever the roster's size.
    var round = (offset: 0, stride: 1, size: 0, step: 0)
    var sequence: UInt64 = 0
    var probe: Probe?
    /// Members others suspect, to probe ahead of the round (at most `maximumSuspectProbes`).
    var suspectsToProbe: [Peer] = []
    var nextProbe: UInt64
    var nextGossip: UInt64
    var nextPushPull: UInt64
    var relays: [UInt64: Relay] = [:]

    /// `roster`: members believed alive at incarnation 0 from the start (a simulator shares one
    /// roster, and its set, among all its instances); it may include `myself`.
    /// `incarnation`: where this node's own starts. A node that restarts within the time its
    /// peers remember it dead starts above its last one (a clock reading), or its `alive` would
    /// not override their belief; it gossips that alive from the start (memberlist's join), since
    /// nobody probes a member it holds dead.
    public init(
        myself: Peer, settings: SWIMSettings = .lan, seed: UInt64, now: UInt64, incarnation: UInt64 = 0, roster: [Peer] = [],
        rosterSet: Set<Peer>? = nil
    ) {
        self.myself = myself
        self.incarnation = incarnation
        self.settings = settings
        random = SeededGenerator(seed: seed)
        members = SWIMMembership(roster: roster, rosterSet: rosterSet)
        selfInRoster = members[myself] != nil
        // Spread the first probes over a period, so that instances started together do not
        // probe in lockstep.
        nextProbe = now + UInt64.random(in: 1...max(1, settings.probeInterval), using: &random)
        nextGossip = now + settings.gossipInterval
        nextPushPull = now + UInt64.random(in: 1...max(1, settings.pushPullInterval), using: &random)
        if incarnation > 0 { gossip.enqueue(SWIMUpdate(peer: myself, status: .alive, incarnation: incarnation), about: myself) }
    }

    let selfInRoster: Bool

    // MARK: Reading

    /// Members not known to be dead, this node included: the n of SWIM's formulas.
    public var liveCount: Int { members.liveCount + (selfInRoster ? 0 : 1) }

    /// What this node believes of `peer` (nil: not a member, or this node itself).
    public func member(_ peer: Peer) -> SWIMMember<Peer>? { peer == myself ? nil : members[peer] }

    /// How many times an update is piggybacked: `retransmitMultiplier · ⌈log10(n + 1)⌉`.
    var retransmitLimit: Int { settings.retransmitMultiplier * Int(log10(Double(liveCount + 1)).rounded(.up)) }

    var scale: UInt64 { UInt64(localHealth + 1) }

    /// When `onTick` next has something to do.
    public var nextDeadline: UInt64 {
        var deadline = min(nextProbe, nextPushPull)
        if !gossip.isEmpty { deadline = min(deadline, nextGossip) }
        if let probe, !probe.acked, !probe.indirect { deadline = min(deadline, probe.sentAt + settings.probeTimeout * scale) }
        for relay in relays.values { deadline = min(deadline, relay.deadline) }
        for suspicion in suspicions.values { deadline = min(deadline, suspicion.deadline) }
        for died in members.dead.values { deadline = min(deadline, died + settings.deadRetention) }
        return deadline
    }

    // MARK: Events

    /// A member learned outside the protocol (a session came up, a seed address): alive at
    /// incarnation 0 unless already known.
    public mutating func add(_ peer: Peer, now: UInt64) -> [Directive] {
        guard peer != myself, member(peer) == nil else { return [] }
        var directives: [Directive] = []
        apply(SWIMUpdate(peer: peer, status: .alive, incarnation: 0), now: now, into: &directives)
        return directives
    }

    public mutating func onTick(now: UInt64) -> [Directive] {
        var directives: [Directive] = []
        // Indirect probes for a direct probe that timed out.
        if var current = probe, !current.acked, !current.indirect, now >= current.sentAt + settings.probeTimeout * scale {
            current.indirect = true
            let helpers = pick(settings.indirectChecks) { $0.status == .alive && $0.peer != current.target }
            current.helpers = Set(helpers)
            for helper in helpers {
                directives.append(.send(.pingRequest(sequence: current.sequence, target: current.target, updates: piggyback()), to: helper))
            }
            probe = current
        }
        // Relayed probes whose target did not answer: tell the origin we are fine (Lifeguard).
        // In key order: a dictionary's order differs from run to run, a seeded run's must not.
        for key in relays.keys.sorted() {
            guard let relay = relays[key], now >= relay.deadline else { continue }
            relays.removeValue(forKey: key)
            directives.append(.send(.nack(sequence: relay.sequence, updates: piggyback()), to: relay.origin))
        }
        // Suspicions that ran out.
        for peer in suspicions.keys.sorted() {
            guard let suspicion = suspicions[peer], now >= suspicion.deadline else { continue }
            suspicions.removeValue(forKey: peer)
            if let member = member(peer), member.status == .suspect, member.incarnation == suspicion.incarnation {
                apply(SWIMUpdate(peer: peer, status: .dead, incarnation: member.incarnation), now: now, into: &directives)
            }
        }
        // The dead, forgotten once their death has had time to spread.
        for (peer, died) in members.dead where now >= died + settings.deadRetention {
            members.forget(peer)
            gossip.remove(peer)
        }
        if now >= nextProbe { startProbe(now: now, into: &directives) }
        if now >= nextPushPull {
            nextPushPull = now + settings.pushPullInterval
            if let peer = pick(1, where: { $0.status == .alive }).first {
                directives.append(.send(.pushPull(updates: state(), reply: true), to: peer))
            }
        }
        if now >= nextGossip {
            nextGossip = now + settings.gossipInterval
            if !gossip.isEmpty {
                for peer in pick(settings.gossipNodes, where: { $0.status != .dead }) {
                    let updates = piggyback()
                    if updates.isEmpty { break }
                    directives.append(.send(.gossip(updates: updates), to: peer))
                }
            }
        }
        return directives
    }

    public mutating func onMessage(_ message: SWIMMessage<Peer>, from sender: Peer, now: UInt64) -> [Directive] {
        var directives: [Directive] = []
        let limit = if case .pushPull = message { settings.maximumPushPull } else { settings.maximumPiggyback }
        for update in message.updates.prefix(limit) { apply(update, now: now, into: &directives) }
        switch message {
        case .ping(let sequence, _):
            // Every ack says who this node is now: a refutation reaches whoever probes it, even
            // after the gossip of it has run out.
            directives.append(.send(.ack(sequence: sequence, updates: vouch(for: myself) + piggyback()), to: sender))
        case .pingRequest(let sequence, let target, _):
            guard target != myself, target != sender else {
                if target == myself { directives.append(.send(.ack(sequence: sequence, updates: piggyback()), to: sender)) }
                break
            }
            self.sequence += 1
            // The nack must be back before the asker's probe period ends (its indirect probes
            // went out a probe timeout into it): Lifeguard's 80% of the timeout.
            relays[self.sequence] = Relay(origin: sender, target: target, sequence: sequence, deadline: now + settings.probeTimeout * scale * 4 / 5)
            directives.append(.send(.ping(sequence: self.sequence, updates: buddy(target) + piggyback()), to: target))
        case .ack(let sequence, _):
            // Only from whom it was asked of: sequences are easy to guess, senders are not.
            if let relay = relays[sequence], relay.target == sender {
                relays.removeValue(forKey: sequence)
                directives.append(.send(.ack(sequence: relay.sequence, updates: vouch(for: sender) + piggyback()), to: relay.origin))
            } else if var current = probe, current.sequence == sequence, !current.acked,
                sender == current.target || current.helpers.contains(sender)
            {
                current.acked = true
                probe = current
                adjustHealth(-1)
            }
        case .nack(let sequence, _):
            if var current = probe, current.sequence == sequence, current.helpers.contains(sender) {
                current.nacks += 1
                probe = current
            }
        case .gossip: break
        case .pushPull(_, let reply):
            if reply { directives.append(.send(.pushPull(updates: state(), reply: false), to: sender)) }
        }
        return directives
    }

    // MARK: Probing

    private mutating func startProbe(now: UInt64, into directives: inout [Directive]) {
        if let last = probe, !last.acked { failed(last, now: now, into: &directives) }
        probe = nil
        nextProbe = now + settings.probeInterval * scale
        guard let target = nextTarget() else { return }
        sequence += 1
        probe = Probe(target: target, sequence: sequence, sentAt: now)
        directives.append(.send(.ping(sequence: sequence, updates: buddy(target) + piggyback()), to: target))
    }

    /// A probe period ended without an ack: suspect the target, and judge oneself (Lifeguard):
    /// helpers that did not even nack point at this node's own trouble.
    private mutating func failed(_ probe: Probe, now: UInt64, into directives: inout [Directive]) {
        adjustHealth(probe.expectedNacks > 0 ? max(0, probe.expectedNacks - probe.nacks) : 1)
        // Already suspected by another: this node's own failed probe is a confirmation
        // (Lifeguard), which shortens the suspicion everywhere it spreads.
        guard let member = member(probe.target), member.status != .dead else { return }
        apply(SWIMUpdate(peer: probe.target, status: .suspect, incarnation: member.incarnation, reporter: myself), now: now, into: &directives)
    }

    /// The next member to probe: a shuffled round-robin over those not dead, in a new order
    /// each round, so every member is probed within a bounded time (SWIM §4.3).
    private mutating func nextTarget() -> Peer? {
        // A member someone else suspects is probed first, its suspicion on the ping (buddy):
        // if it is alive it refutes in its ack, and this node does not have to wait for the
        // refutation to reach it by gossip, which a lossy network may drop.
        while !suspectsToProbe.isEmpty {
            let peer = suspectsToProbe.removeFirst()
            if member(peer)?.status == .suspect { return peer }
        }
        for _ in 0..<2 {
            while round.step < round.size {
                let index = (round.offset + round.step * round.stride) % round.size
                round.step += 1
                if let member = member(members.roster[index]), member.status != .dead { return member.peer }
            }
            let size = members.roster.count
            guard size > 0 else { return nil }
            var stride = 1
            for _ in 0..<8 where size > 2 {
                let candidate = Int.random(in: 1..<size, using: &random)
                if Self.gcd(candidate, size) == 1 {
                    stride = candidate
                    break
                }
            }
            round = (offset: Int.random(in: 0..<size, using: &random), stride: stride, size: size, step: 0)
        }
        return nil
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// Up to `count` distinct members matching `include`, at random: by drawing roster indices
    /// (constant time a member, however large the roster), or, in a small roster, exactly.
    private mutating func pick(_ count: Int, where include: (SWIMMember<Peer>) -> Bool) -> [Peer] {
        let roster = members.roster
        guard roster.count > 64 else {
            var candidates = roster.compactMap { member($0) }.filter(include).map(\.peer)
            let chosen = min(count, candidates.count)
            for index in 0..<chosen { candidates.swapAt(index, Int.random(in: index..<candidates.count, using: &random)) }
            return Array(candidates.prefix(chosen))
        }
        var chosen: [Peer] = []
        for _ in 0..<(8 * count + 16) where chosen.count < count {
            guard let candidate = member(roster[Int.random(in: 0..<roster.count, using: &random)]), include(candidate),
                !chosen.contains(candidate.peer)
            else { continue }
            chosen.append(candidate.peer)
        }
        return chosen
    }

    private mutating func adjustHealth(_ delta: Int) {
        localHealth = min(max(0, localHealth + delta), max(0, settings.awarenessMaximum - 1))
    }

    /// Buddy (Lifeguard): a member this node suspects is told so by the ping itself, so that it
    /// can refute at once, whatever gossip has or has not reached it.
    private func buddy(_ target: Peer) -> [SWIMUpdate<Peer>] {
        guard let member = member(target), member.status == .suspect else { return [] }
        return [SWIMUpdate(peer: target, status: .suspect, incarnation: member.incarnation, reporter: myself)]
    }

    /// What this node holds of `peer` (itself: its own incarnation), as an update to pass on
    /// when it has news in it (a raised incarnation).
    private func vouch(for peer: Peer) -> [SWIMUpdate<Peer>] {
        if peer == myself { return incarnation > 0 ? [SWIMUpdate(peer: myself, status: .alive, incarnation: incarnation)] : [] }
        guard let member = member(peer), member.status == .alive, member.incarnation > 0 else { return [] }
        return [SWIMUpdate(peer: peer, status: .alive, incarnation: member.incarnation)]
    }

    /// This node's beliefs for a push-pull: itself, then what differs from "alive at 0".
    private func state() -> [SWIMUpdate<Peer>] {
        let beliefs = members.deviations.prefix(max(0, settings.maximumPushPull - 1)).map { member in
            SWIMUpdate(peer: member.peer, status: member.status, incarnation: member.incarnation, reporter: member.status == .suspect ? myself : nil)
        }
        return [SWIMUpdate(peer: myself, status: .alive, incarnation: incarnation)] + beliefs
    }

    private mutating func piggyback() -> [SWIMUpdate<Peer>] {
        gossip.take(settings.maximumPiggyback, limit: retransmitLimit)
    }

    // MARK: Updates

    /// Applies one update as SWIM's precedence says, refuting any suspicion of this node.
    mutating func apply(_ update: SWIMUpdate<Peer>, now: UInt64, into directives: inout [Directive]) {
        if update.peer == myself {
            // Someone believes this node suspect or dead: refute with a higher incarnation. An
            // alive above this node's own is its last life's (it restarted below it): go above
            // that too, or peers holding it dead there would never take this life's alive.
            let suspected = update.status != .alive && update.incarnation >= incarnation
            guard suspected || update.incarnation > incarnation, update.incarnation < .max else { return }
            incarnation = update.incarnation + 1
            if suspected { adjustHealth(1) }
            gossip.enqueue(SWIMUpdate(peer: myself, status: .alive, incarnation: incarnation), about: myself)
            return
        }
        guard let member = member(update.peer) else {
            // A dead or suspect member never heard of is not worth learning.
            guard update.status == .alive else { return }
            record(update, previous: nil, now: now, into: &directives)
            return
        }
        if update.status == .suspect, member.status == .suspect, update.incarnation == member.incarnation, let reporter = update.reporter {
            // The same suspicion from another member: Lifeguard's confirmation.
            if suspicions[update.peer]?.confirm(by: reporter) == true { gossip.enqueue(update, about: update.peer) }
            return
        }
        guard update.overrides(member) else { return }
        record(update, previous: member.status, now: now, into: &directives)
    }

    private mutating func record(_ update: SWIMUpdate<Peer>, previous: SWIMStatus?, now: UInt64, into directives: inout [Directive]) {
        let member = SWIMMember(peer: update.peer, status: update.status, incarnation: update.incarnation, since: now)
        members.set(member)
        gossip.enqueue(update, about: update.peer)
        if update.status == .suspect {
            if update.reporter != myself, suspectsToProbe.count < Self.maximumSuspectProbes { suspectsToProbe.append(update.peer) }
            suspicions[update.peer] = SWIMSuspicion(
                incarnation: update.incarnation, reporter: update.reporter ?? myself, start: now, members: liveCount, settings: settings)
        } else {
            suspicions.removeValue(forKey: update.peer)
        }
        if previous != update.status { directives.append(.changed(member, previous: previous)) }
    }
}
