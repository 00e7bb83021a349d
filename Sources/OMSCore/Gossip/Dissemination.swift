import Foundation
import OMSCrypto
import OMSProtocol

/// The knobs of item dissemination (protocol-spec §17), in milliseconds and counts.
public struct DisseminationSettings: Sendable, Hashable {
    /// Every this often, queued items are pushed to `fanout` members.
    public var gossipInterval: UInt64 = 200
    public var fanout = 3
    /// An item is pushed `retransmitMultiplier · ⌈log10(n + 1)⌉` times, as SWIM's updates are.
    public var retransmitMultiplier = 4
    /// Every this often, a digest goes to one member (push-pull anti-entropy).
    public var pushPullInterval: UInt64 = 30_000
    /// Items held, at most: a new key beyond it is refused (`full`). No more than a digest
    /// lists, so that push-pull always describes everything held.
    public var maximumItems = 4096
    /// Bytes of items held, at most (a new or grown item past it is refused, `full`): what a
    /// node keeps in memory for gossip, whatever the items' sizes.
    public var maximumBytes = 64 << 20
    /// Entries in one digest, at most: a larger one is refused and scores its sender down.
    public var maximumDigest = 4096
    /// Items in one frame, at most.
    public var maximumItemsPerMessage = 16
    /// Items, and bytes of them, sent back for one digest, at most: the rest come with the next.
    public var maximumItemsPerDigest = 256
    public var maximumBytesPerDigest = 4 << 20
    /// Each peer's items are read at this rate, with this burst; the rest are dropped unread.
    /// A digest, and each item sent back for it, draw on the same budget: a peer cannot make
    /// this node send more for it than it may send itself.
    public var itemsPerSecond = 32.0
    public var itemBurst = 256.0
    /// A peer whose score reaches this is disconnected and ignored for `banDuration`.
    public var banThreshold = 100.0
    public var banDuration: UInt64 = 300_000
    /// Scores fall by this much a second: an honest peer's occasional stale item is forgotten.
    public var scoreDecayPerSecond = 1.0

    public init() {}

    /// What each offence adds to a peer's score: an invalid item or an oversized digest is
    /// proof of a bad peer; a stale version or a burst may be an honest peer's delay.
    public func penalty(_ code: GossipError.Code) -> Double {
        switch code {
        case .badSignature, .wrongSigner, .notPublic, .malformed: 20
        case .oversized: 50
        case .stale: 2
        case .flood: 1
        default: 0
        }
    }
}

/// One gossiped item: the latest `version` under `key` wins; `content`, the object id of its
/// bytes (BLAKE2b-256, as an envelope's), dedupes it, and breaks a tie between two items of one version.
public struct GossipItem<Key: Hashable & Sendable>: Sendable, Hashable {
    public var key: Key
    public var version: UInt64
    public var content: ObjectID
    public var bytes: [UInt8]

    public init(key: Key, version: UInt64, content: ObjectID, bytes: [UInt8]) {
        self.key = key
        self.version = version
        self.content = content
        self.bytes = bytes
    }

    public var entry: DigestEntry<Key> { DigestEntry(key: key, version: version, content: content) }

    /// Whether this item replaces `held`: a higher version, or the same one with a greater
    /// content id, so that every node keeps the same one of two rival items.
    public func supersedes(_ held: DigestEntry<Key>) -> Bool {
        version > held.version || (version == held.version && held.content.bytes.lexicographicallyPrecedes(content.bytes))
    }
}

public struct DigestEntry<Key: Hashable & Sendable>: Sendable, Hashable {
    public var key: Key
    public var version: UInt64
    public var content: ObjectID

    public init(key: Key, version: UInt64, content: ObjectID) {
        self.key = key
        self.version = version
        self.content = content
    }
}

/// Push gossip of signed items with push-pull anti-entropy, as a pure state machine (the
/// shell verifies items through the closure it passes, and carries out the directives):
///
/// - a new item is pushed to `fanout` random members every gossip interval until it has been
///   sent `retransmitMultiplier · ⌈log10(n + 1)⌉` times (bounded fanout and retransmits);
/// - every push-pull interval a digest of everything held goes to one random member, which
///   sends back what the digest lacks or holds older, and its own digest when asked;
/// - items are deduplicated by content id and verified before they are stored or passed on;
///   a peer's invalid items, oversized digests, stale versions and floods raise its score,
///   which decays; at `banThreshold` the peer is banned for `banDuration`.
public struct Dissemination<Peer: Hashable & Sendable, Key: Hashable & Sendable>: Sendable {
    public enum Directive: Sendable, Hashable {
        case sendItems([[UInt8]], to: Peer)
        case sendDigest([DigestEntry<Key>], reply: Bool, to: Peer)
        /// A new or newer item, verified: the shell stores it (the catalog).
        case stored(GossipItem<Key>)
        /// Something from `peer` refused, and why; counted by code.
        case refused(GossipError, from: Peer)
        /// Disconnect `peer` and refuse it until `until`.
        case ban(Peer, until: UInt64)
    }

    struct Standing: Sendable {
        var score = 0.0
        var tokens: Double
        var updated: UInt64
    }

    public let settings: DisseminationSettings
    /// This node, when it may be among the members a tick is given (a simulator's shared list).
    public let myself: Peer?
    public private(set) var items: [Key: GossipItem<Key>] = [:]
    /// The bytes of `items`, against `maximumBytes`.
    public private(set) var heldBytes = 0
    /// The content ids of `items`, for deduplication before anything is parsed.
    var contents: Set<ObjectID> = []
    var queue = GossipBuffer<Key, Key>()
    var standings: [Peer: Standing] = [:]
    public private(set) var banned: [Peer: UInt64] = [:]
    var random: SeededGenerator
    var nextGossip: UInt64
    var nextPushPull: UInt64

    public init(settings: DisseminationSettings = .init(), seed: UInt64, now: UInt64, myself: Peer? = nil) {
        self.settings = settings
        self.myself = myself
        random = SeededGenerator(seed: seed)
        // Each node's cadence at its own phase, as nodes started apart would have.
        nextGossip = now + UInt64.random(in: 1...max(1, settings.gossipInterval), using: &random)
        nextPushPull = now + UInt64.random(in: 1...max(1, settings.pushPullInterval), using: &random)
    }

    public var nextDeadline: UInt64 { queue.isEmpty ? nextPushPull : min(nextGossip, nextPushPull) }

    /// What this node holds, as a digest carries it (never more than `maximumDigest` entries,
    /// since `maximumItems` is no more).
    public var digest: [DigestEntry<Key>] { Array(items.values.map(\.entry).prefix(settings.maximumDigest)) }

    /// Restores items stored earlier, without pushing them: they were pushed when they came.
    public mutating func restore(_ item: GossipItem<Key>) {
        if let held = items[item.key], !item.supersedes(held.entry) { return }
        if fits(item) { hold(item, push: false, now: 0) }
    }

    /// A local item (this node's own announcement): held and pushed.
    public mutating func publish(_ item: GossipItem<Key>, now: UInt64) -> [Directive] {
        if let held = items[item.key], !item.supersedes(held.entry) { return [] }
        hold(item, push: true, now: now)
        return [.stored(item)]
    }

    /// Pushes and pulls when their time comes. `members`: those a message can go to now (live,
    /// with a session), never this node; `n` the network's size for the retransmit count.
    public mutating func onTick(now: UInt64, members: [Peer], n: Int) -> [Directive] {
        var directives: [Directive] = []
        // Large memberships (a simulator's hundred thousand) are passed as they are: no copy
        // unless a ban takes someone out.
        if !banned.isEmpty { banned = banned.filter { $0.value > now } }
        let targets = banned.isEmpty ? members : members.filter { banned[$0] == nil }
        if now >= nextGossip {
            nextGossip = now + settings.gossipInterval
            if !queue.isEmpty, !targets.isEmpty {
                let limit = settings.retransmitMultiplier * Int(log10(Double(max(n, targets.count + 1) + 1)).rounded(.up))
                for peer in pick(settings.fanout, from: targets) {
                    let keys = queue.take(settings.maximumItemsPerMessage, limit: limit)
                    let bytes = keys.compactMap { items[$0]?.bytes }
                    if !bytes.isEmpty { directives.append(.sendItems(bytes, to: peer)) }
                }
            }
        }
        if now >= nextPushPull {
            nextPushPull = now + settings.pushPullInterval
            if let peer = pick(1, from: targets).first {
                directives.append(.sendDigest(digest, reply: true, to: peer))
            }
        }
        return directives
    }

    /// Items from `peer`. `open` verifies one item's bytes (signature and all) and keys it.
    public mutating func onItems(
        _ received: [[UInt8]], from peer: Peer, now: UInt64, open: ([UInt8]) throws(GossipError) -> GossipItem<Key>
    ) -> [Directive] {
        guard !isBanned(peer, now: now) else { return [] }
        var directives: [Directive] = []
        var standing = standing(of: peer, now: now)
        for (index, bytes) in received.enumerated() {
            guard standing.tokens >= 1 else {
                // Dropped unread, as one offence for the whole burst's remainder: reading them
                // is the work a flood means to cause.
                let dropped = received.count - index
                standing.score += settings.penalty(.flood) * Double(dropped)
                directives.append(.refused(GossipError(.flood, "\(dropped) items over \(settings.itemsPerSecond)/s dropped"), from: peer))
                break
            }
            standing.tokens -= 1
            // The very bytes held: a duplicate, which gossip makes by design.
            if contents.contains(ObjectID(uncheckedBytes: BLAKE2b.hash(bytes, outputLength: 32))) { continue }
            do throws(GossipError) {
                let item = try open(bytes)
                if let held = items[item.key] {
                    guard item.supersedes(held.entry) else {
                        if item.version < held.version {
                            throw GossipError(.stale, "version \(item.version); \(held.version) is held")
                        }
                        continue
                    }
                }
                guard fits(item) else {
                    throw GossipError(.full, "\(items.count) items of \(heldBytes) bytes held (at most \(settings.maximumItems), \(settings.maximumBytes))")
                }
                hold(item, push: true, now: now)
                directives.append(.stored(item))
            } catch {
                standing.score += settings.penalty(error.code)
                directives.append(.refused(error, from: peer))
                // Banned now: the rest of the frame is not worth the work.
                if standing.score >= settings.banThreshold { break }
            }
        }
        standings[peer] = standing
        directives += judge(peer, now: now)
        return directives
    }

    /// A digest from `peer`: sends back what it lacks or holds older, and asks for nothing (its
    /// owner pushes what this node lacks when it gets this node's digest, if `reply`).
    public mutating func onDigest(_ entries: [DigestEntry<Key>], reply: Bool, from peer: Peer, now: UInt64) -> [Directive] {
        guard !isBanned(peer, now: now) else { return [] }
        guard entries.count <= settings.maximumDigest else {
            var standing = standing(of: peer, now: now)
            standing.score += settings.penalty(.oversized)
            standings[peer] = standing
            return [.refused(GossipError(.oversized, "\(entries.count) digest entries; at most \(settings.maximumDigest)"), from: peer)]
                + judge(peer, now: now)
        }
        // The digest and what goes back for it draw on the peer's budget.
        var standing = standing(of: peer, now: now)
        guard standing.tokens >= 1 else {
            standing.score += settings.penalty(.flood)
            standings[peer] = standing
            return [.refused(GossipError(.flood, "a digest over \(settings.itemsPerSecond)/s dropped"), from: peer)] + judge(peer, now: now)
        }
        standing.tokens -= 1
        var theirs: [Key: DigestEntry<Key>] = [:]
        for entry in entries { theirs[entry.key] = entry }
        var missing: [[UInt8]] = []
        var bytes = 0
        // A digest of our own in return costs a token for each 64 entries it lists.
        let ownDigest = reply ? digest : []
        let replyCost = reply ? 1 + Double(ownDigest.count / 64) : 0
        let allowance = min(settings.maximumItemsPerDigest, Int(max(0, standing.tokens - replyCost)))
        for item in items.values where missing.count < allowance {
            if let entry = theirs[item.key], !item.supersedes(entry) { continue }
            guard bytes + item.bytes.count <= settings.maximumBytesPerDigest else { break }
            bytes += item.bytes.count
            missing.append(item.bytes)
        }
        let answerDigest = reply && standing.tokens - Double(missing.count) >= replyCost
        standing.tokens -= Double(missing.count) + (answerDigest ? replyCost : 0)
        standings[peer] = standing
        var directives: [Directive] = []
        var start = 0
        while start < missing.count {
            let end = min(start + settings.maximumItemsPerMessage, missing.count)
            directives.append(.sendItems(Array(missing[start..<end]), to: peer))
            start = end
        }
        if answerDigest { directives.append(.sendDigest(ownDigest, reply: false, to: peer)) }
        return directives
    }

    /// Charges `peer` with a refusal found outside (a malformed frame of ours).
    public mutating func charge(_ peer: Peer, _ error: GossipError, now: UInt64) -> [Directive] {
        guard !isBanned(peer, now: now) else { return [] }
        var standing = standing(of: peer, now: now)
        standing.score += settings.penalty(error.code)
        standings[peer] = standing
        return [.refused(error, from: peer)] + judge(peer, now: now)
    }

    public func score(of peer: Peer) -> Double { standings[peer]?.score ?? 0 }

    /// Whether `peer` is banned at `now`; a ban that ran out is forgotten.
    public mutating func isBanned(_ peer: Peer, now: UInt64) -> Bool {
        guard let until = banned[peer] else { return false }
        if until > now { return true }
        banned[peer] = nil
        return false
    }

    /// A peer's session closed: its standing is forgotten once nothing is held against it (no
    /// score, a full budget), so that reconnecting wipes nothing; a ban stays until it runs out.
    /// Standings are kept for at most `4 · maximumItems` peers, the clean ones dropped first.
    public mutating func forget(_ peer: Peer, now: UInt64) {
        let current = standing(of: peer, now: now)
        if current.score == 0, current.tokens >= settings.itemBurst {
            standings[peer] = nil
        } else {
            standings[peer] = current
        }
        // Many identities come and go (they are free): past the bound, keep the worst half, their
        // scores decayed to now, so that the map stays bounded and the liars stay known longest.
        if standings.count > 4 * settings.maximumItems {
            let decayed = standings.keys.map { ($0, standing(of: $0, now: now)) }.sorted { $0.1.score > $1.1.score }
            standings = Dictionary(uniqueKeysWithValues: decayed.prefix(2 * settings.maximumItems).filter { $0.1.score > 0 })
        }
    }

    // MARK: Inside

    /// Holds `item`, replacing what it supersedes, and queues it to be pushed at the next tick
    /// of this node's gossip cadence (which ran on while nothing was queued), as memberlist does:
    /// news waits up to an interval at each hop, so spreading takes rounds, as the theory counts.
    private mutating func hold(_ item: GossipItem<Key>, push: Bool, now: UInt64) {
        if let old = items.updateValue(item, forKey: item.key) {
            contents.remove(old.content)
            heldBytes -= old.bytes.count
        }
        contents.insert(item.content)
        heldBytes += item.bytes.count
        guard push else { return }
        if queue.isEmpty, nextGossip <= now {
            let interval = max(1, settings.gossipInterval)
            nextGossip += ((now - nextGossip) / interval + 1) * interval
        }
        queue.enqueue(item.key, about: item.key)
    }

    /// Whether `item` may be held within the bounds, replacing what is held under its key.
    private func fits(_ item: GossipItem<Key>) -> Bool {
        let old = items[item.key]
        guard old != nil || items.count < settings.maximumItems else { return false }
        return heldBytes - (old?.bytes.count ?? 0) + item.bytes.count <= settings.maximumBytes
    }

    private func standing(of peer: Peer, now: UInt64) -> Standing {
        var standing = standings[peer] ?? Standing(tokens: settings.itemBurst, updated: now)
        let elapsed = Double(now &- standing.updated) / 1000
        if now > standing.updated {
            standing.tokens = min(settings.itemBurst, standing.tokens + elapsed * settings.itemsPerSecond)
            standing.score = max(0, standing.score - elapsed * settings.scoreDecayPerSecond)
            standing.updated = now
        }
        return standing
    }

    private mutating func judge(_ peer: Peer, now: UInt64) -> [Directive] {
        guard let standing = standings[peer], standing.score >= settings.banThreshold else { return [] }
        standings[peer] = nil
        let until = now + settings.banDuration
        banned[peer] = until
        return [.ban(peer, until: until)]
    }

    /// `count` distinct members at random, never `myself` (all of them when there are no more),
    /// by index and without copying `members`: `count` is a fanout, a handful.
    private mutating func pick(_ count: Int, from members: [Peer]) -> [Peer] {
        if members.count <= 2 * count + 2 {
            var pool = members.filter { $0 != myself }
            guard pool.count > count else { return pool }
            pool.shuffle(using: &random)
            return Array(pool.prefix(count))
        }
        var chosen: [Int] = []
        while chosen.count < count {
            let index = Int.random(in: 0..<members.count, using: &random)
            if members[index] != myself, !chosen.contains(index) { chosen.append(index) }
        }
        return chosen.map { members[$0] }
    }
}
