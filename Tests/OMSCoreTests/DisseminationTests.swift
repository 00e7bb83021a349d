import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// Push gossip with push-pull anti-entropy as a pure state machine: dedupe, versions, the
/// bounds, scoring and bans, then a network of instances on which an item reaches everyone
/// and a node that was away catches up.
@Suite struct DisseminationTests {
    typealias Machine = Dissemination<Int, Int>

    /// An item's bytes here: key, version, a validity flag, and filler so two items of one
    /// version can differ. `open` refuses flag 0 as a bad signature, as a forged item would be.
    static func bytes(key: Int, version: UInt64, valid: Bool = true, filler: UInt8 = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(UInt32(key))
        bytes.appendBigEndian(version)
        bytes += [valid ? 1 : 0, filler]
        return bytes
    }

    static func open(_ bytes: [UInt8]) throws(GossipError) -> GossipItem<Int> {
        var reader = ByteReader(bytes)
        guard let key = reader.readUInt32(), let version = reader.readUInt64(), let flag = reader.readByte() else {
            throw GossipError(.malformed, "short")
        }
        guard flag == 1 else { throw GossipError(.badSignature, "forged") }
        return GossipItem(key: Int(key), version: version, content: ObjectID(uncheckedBytes: BLAKE2b.hash(bytes, outputLength: 32)), bytes: bytes)
    }

    static func item(key: Int, version: UInt64, filler: UInt8 = 0) -> GossipItem<Int> {
        try! open(bytes(key: key, version: version, filler: filler))
    }

    static func stored(_ directives: [Machine.Directive]) -> [GossipItem<Int>] {
        directives.compactMap { if case .stored(let item) = $0 { item } else { nil } }
    }

    static func refusals(_ directives: [Machine.Directive]) -> [String] {
        directives.compactMap { if case .refused(let error, _) = $0 { error.code.name } else { nil } }
    }

    @Test func newerVersionsReplaceOlderOnesAndReplaysAreRefused() {
        var machine = Machine(seed: 1, now: 0)
        #expect(Self.stored(machine.onItems([Self.bytes(key: 1, version: 2)], from: 9, now: 0, open: Self.open)).map(\.version) == [2])
        // The same bytes again: a duplicate, dropped before it is even opened.
        var opened = 0
        let again = machine.onItems([Self.bytes(key: 1, version: 2)], from: 9, now: 0) { bytes throws(GossipError) in
            opened += 1
            return try Self.open(bytes)
        }
        #expect(again.isEmpty && opened == 0)
        // An older version: a replay, refused and counted against the sender.
        #expect(Self.refusals(machine.onItems([Self.bytes(key: 1, version: 1)], from: 9, now: 0, open: Self.open)) == ["stale"])
        #expect(machine.score(of: 9) == 2)
        #expect(machine.items[1]?.version == 2)
        #expect(Self.stored(machine.onItems([Self.bytes(key: 1, version: 3)], from: 8, now: 0, open: Self.open)).map(\.version) == [3])
        // Two rival items of one version: every node keeps the one with the greater content id.
        let (a, b) = (Self.item(key: 5, version: 1, filler: 1), Self.item(key: 5, version: 1, filler: 2))
        let greater = a.content.bytes.lexicographicallyPrecedes(b.content.bytes) ? b : a
        var first = Machine(seed: 1, now: 0)
        var second = Machine(seed: 2, now: 0)
        _ = first.onItems([a.bytes, b.bytes], from: 1, now: 0, open: Self.open)
        _ = second.onItems([b.bytes, a.bytes], from: 1, now: 0, open: Self.open)
        #expect(first.items[5] == greater && second.items[5] == greater)
    }

    @Test func invalidItemsScoreThePeerDownUntilItIsBannedForAWhile() {
        var settings = DisseminationSettings()
        settings.banDuration = 60_000
        var machine = Machine(settings: settings, seed: 1, now: 0)
        var directives: [Machine.Directive] = []
        for index in 0..<5 {
            directives += machine.onItems([Self.bytes(key: index, version: 1, valid: false)], from: 7, now: 0, open: Self.open)
        }
        #expect(Self.refusals(directives) == Array(repeating: "badSignature", count: 5))
        #expect(directives.contains(.ban(7, until: 60_000)), "five forged items (20 each) reach the threshold of 100")
        #expect(machine.items.isEmpty)
        // Banned: its items are not even read, and nothing goes to it.
        #expect(machine.onItems([Self.bytes(key: 1, version: 1)], from: 7, now: 1000, open: Self.open).isEmpty)
        #expect(machine.onDigest([], reply: true, from: 7, now: 1000).isEmpty)
        _ = machine.publish(Self.item(key: 1, version: 1), now: 0)
        let pushes = machine.onTick(now: 1000, members: [7], n: 2)
        #expect(!pushes.contains { if case .sendItems(_, to: 7) = $0 { true } else { false } })
        // The ban runs out; a peer whose offences are old is forgiven as its score decays.
        #expect(Self.stored(machine.onItems([Self.bytes(key: 2, version: 1)], from: 7, now: 61_000, open: Self.open)).count == 1)
        _ = machine.onItems([Self.bytes(key: 3, version: 1, valid: false)], from: 6, now: 0, open: Self.open)
        #expect(machine.score(of: 6) == 20)
        _ = machine.onItems([], from: 6, now: 10_000, open: Self.open)
        #expect(machine.score(of: 6) == 10, "one point a second")
    }

    @Test func aFloodIsDroppedUnreadPastThePeersRate() {
        var settings = DisseminationSettings()
        settings.itemBurst = 10
        settings.itemsPerSecond = 5
        var machine = Machine(settings: settings, seed: 1, now: 0)
        var opened = 0
        let flood = (0..<50).map { Self.bytes(key: $0, version: 1) }
        let directives = machine.onItems(flood, from: 3, now: 0) { bytes throws(GossipError) in
            opened += 1
            return try Self.open(bytes)
        }
        #expect(opened == 10, "only the burst is read")
        #expect(Self.stored(directives).count == 10)
        #expect(Self.refusals(directives) == ["flood"])
        #expect(machine.score(of: 3) == 40, "one point for each of the 40 dropped")
        // A second later the bucket holds five more.
        opened = 0
        _ = machine.onItems(Array(flood[10..<20]), from: 3, now: 1000) { bytes throws(GossipError) in
            opened += 1
            return try Self.open(bytes)
        }
        #expect(opened == 5)
    }

    @Test func digestsAreBoundedAndAnsweredWithWhatThePeerLacks() {
        var settings = DisseminationSettings()
        settings.maximumDigest = 4
        settings.maximumItemsPerMessage = 2
        var machine = Machine(settings: settings, seed: 1, now: 0)
        for key in 0..<3 { _ = machine.publish(Self.item(key: key, version: 2), now: 0) }
        let oversized = (0..<5).map { DigestEntry(key: $0, version: 1, content: ObjectID(uncheckedBytes: Array(repeating: 0, count: 32))) }
        let refused = machine.onDigest(oversized, reply: true, from: 4, now: 0)
        #expect(Self.refusals(refused) == ["oversized"] && machine.score(of: 4) == 50)
        #expect(!refused.contains { if case .sendItems = $0 { true } else { false } })
        // The peer holds key 0 at version 2 (the same), key 1 older, and not key 2: it gets 1
        // and 2, two to a frame, then this node's digest since it asked.
        let theirs = [Self.item(key: 0, version: 2).entry, Self.item(key: 1, version: 1).entry]
        let answer = machine.onDigest(theirs, reply: true, from: 5, now: 0)
        let sent = answer.flatMap { directive -> [[UInt8]] in if case .sendItems(let items, to: 5) = directive { items } else { [] } }
        #expect(Set(sent.map { try! Self.open($0).key }) == [1, 2])
        #expect(answer.contains { if case .sendDigest(let entries, reply: false, to: 5) = $0 { entries.count == 3 } else { false } })
        // A full node refuses new keys but still takes newer versions of those it holds.
        settings.maximumItems = 3
        var full = Machine(settings: settings, seed: 1, now: 0)
        for key in 0..<3 { _ = full.publish(Self.item(key: key, version: 1), now: 0) }
        #expect(Self.refusals(full.onItems([Self.bytes(key: 9, version: 1)], from: 1, now: 0, open: Self.open)) == ["full"])
        #expect(Self.stored(full.onItems([Self.bytes(key: 2, version: 5)], from: 1, now: 0, open: Self.open)).count == 1)
    }

    @Test func aPeerCannotWipeItsRecordByReconnectingNorEscapeABanMidFrame() {
        var machine = Machine(seed: 1, now: 0)
        _ = machine.onItems([Self.bytes(key: 1, version: 1, valid: false)], from: 4, now: 0, open: Self.open)
        machine.forget(4, now: 0)
        #expect(machine.score(of: 4) == 20, "the session closed, the score stays")
        machine.forget(4, now: 60_000)
        #expect(machine.score(of: 4) == 0)
        // Ten forged items in one frame: banned at the fifth; the other five are not even opened.
        var opened = 0
        let forged = (0..<10).map { Self.bytes(key: $0, version: 1, valid: false) }
        let directives = machine.onItems(forged, from: 5, now: 0) { bytes throws(GossipError) in
            opened += 1
            return try Self.open(bytes)
        }
        #expect(opened == 5 && Self.refusals(directives).count == 5)
        #expect(directives.contains { if case .ban(5, _) = $0 { true } else { false } })
        #expect(machine.charge(5, GossipError(.malformed, "more"), now: 1).isEmpty, "nothing more is held against a banned peer")
    }

    @Test func digestsDrawOnTheSendersBudgetAndItemsOnAByteBudget() {
        var settings = DisseminationSettings()
        settings.itemBurst = 10
        settings.itemsPerSecond = 1
        var machine = Machine(settings: settings, seed: 1, now: 0)
        for key in 0..<20 { _ = machine.publish(Self.item(key: key, version: 1), now: 0) }
        // An empty digest asks for everything: the digest takes one token, nine items come back.
        let first = machine.onDigest([], reply: false, from: 3, now: 0)
        #expect(first.flatMap { directive -> [[UInt8]] in if case .sendItems(let items, _) = directive { items } else { [] } }.count == 9)
        let second = machine.onDigest([], reply: true, from: 3, now: 0)
        #expect(Self.refusals(second) == ["flood"], "a second at once is a flood, answered with nothing")
        #expect(!second.contains { if case .sendDigest = $0 { true } else { false } })
        // Another peer's budget is its own.
        #expect(machine.onDigest([], reply: false, from: 4, now: 0).contains { if case .sendItems = $0 { true } else { false } })
        // Bytes: items of 14 bytes, room for 2.
        var small = DisseminationSettings()
        small.maximumBytes = 30
        var tight = Machine(settings: small, seed: 1, now: 0)
        let stored = (0..<3).flatMap { tight.onItems([Self.bytes(key: $0, version: 1)], from: 1, now: 0, open: Self.open) }
        #expect(Self.stored(stored).count == 2 && Self.refusals(stored) == ["full"] && tight.heldBytes == 28)
        // The same key's newer version replaces the old bytes, so it fits.
        #expect(Self.stored(tight.onItems([Self.bytes(key: 0, version: 2)], from: 1, now: 0, open: Self.open)).count == 1)
    }

    @Test func whatGoesBackForADigestIsBoundedInBytesAndItsOwnDigestIsCharged() {
        var settings = DisseminationSettings()
        settings.maximumBytesPerDigest = 50
        settings.itemBurst = 5
        settings.itemsPerSecond = 0.001
        var machine = Machine(settings: settings, seed: 1, now: 0)
        for key in 0..<200 { _ = machine.publish(Self.item(key: key, version: 1), now: 0) }
        // Items of 14 bytes: three fit in 50; the digest took one token, the items three.
        let answer = machine.onDigest([], reply: false, from: 6, now: 0)
        #expect(answer.flatMap { directive -> [[UInt8]] in if case .sendItems(let items, _) = directive { items } else { [] } }.count == 3)
        // A peer holding everything asks for this node's digest: 200 entries cost 1 + 3 tokens,
        // more than the one it has left, so none is sent.
        let everything = machine.items.values.map(\.entry)
        let refused = machine.onDigest(everything, reply: true, from: 6, now: 0)
        #expect(!refused.contains { if case .sendDigest = $0 { true } else { false } })
        // A fresh peer's budget pays for it.
        let paid = machine.onDigest(everything, reply: true, from: 7, now: 0)
        #expect(paid.contains { if case .sendDigest(let entries, reply: false, to: 7) = $0 { entries.count == 200 } else { false } })
    }

    @Test func aNodeNeverPushesToItself() {
        var machine = Dissemination<Int, Int>(seed: 5, now: 0, myself: 0)
        _ = machine.publish(Self.item(key: 1, version: 1), now: 0)
        var targets: [Int] = []
        for tick in 1...6 {
            for directive in machine.onTick(now: UInt64(tick) * 200, members: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], n: 10) {
                if case .sendItems(_, let peer) = directive { targets.append(peer) }
            }
        }
        #expect(!targets.isEmpty && !targets.contains(0))
    }

    @Test func pushesGoToTheFanoutABoundedNumberOfTimes() {
        var machine = Machine(seed: 3, now: 0)
        _ = machine.publish(Self.item(key: 1, version: 1), now: 0)
        var sends = 0
        var now: UInt64 = 0
        for _ in 0..<40 {
            now += 200
            let directives = machine.onTick(now: now, members: Array(1...20), n: 21)
            let targets = directives.compactMap { if case .sendItems(_, let peer) = $0 { peer } else { nil } }
            #expect(Set(targets).count == targets.count && targets.count <= 3)
            sends += targets.count
        }
        // 4 · ⌈log10(22)⌉ = 8 transmissions, then the item rests (push-pull still serves it).
        #expect(sends == 8)
    }

    /// 200 nodes, each knowing 12 random others, 10% of messages lost: an item published at
    /// one reaches all by push alone in a handful of rounds, and a node that was away the whole
    /// time catches up through push-pull.
    @Test func anItemReachesEveryNodeAndANodeThatWasAwayCatchesUp() {
        let count = 200
        var settings = DisseminationSettings()
        settings.pushPullInterval = 5_000
        var random = SeededGenerator(seed: 42)
        var machines = (0..<count).map { Machine(settings: settings, seed: UInt64($0) + 1, now: 0) }
        let neighbours = (0..<count).map { node in Array((0..<count).filter { $0 != node }.shuffled(using: &random).prefix(12)) }
        let away = count - 1
        _ = machines[0].publish(Self.item(key: 1, version: 1), now: 0)
        var queue: [(to: Int, from: Int, directive: Machine.Directive)] = []
        var reachedAt: [Int: UInt64] = [0: 0]
        var now: UInt64 = 0
        while now < 20_000 {
            now += 50
            for node in 0..<count where node != away || now > 10_000 {
                for directive in machines[node].onTick(now: now, members: neighbours[node], n: count) { queue.append((node, node, directive)) }
            }
            while !queue.isEmpty {
                let (at, _, directive) = queue.removeFirst()
                switch directive {
                case .sendItems(let items, let peer):
                    guard peer != away || now > 10_000, Double.random(in: 0..<1, using: &random) >= 0.1 else { continue }
                    for next in machines[peer].onItems(items, from: at, now: now, open: Self.open) { queue.append((peer, at, next)) }
                case .sendDigest(let entries, let reply, let peer):
                    guard peer != away || now > 10_000, Double.random(in: 0..<1, using: &random) >= 0.1 else { continue }
                    for next in machines[peer].onDigest(entries, reply: reply, from: at, now: now) { queue.append((peer, at, next)) }
                case .stored:
                    if reachedAt[at] == nil { reachedAt[at] = now }
                case .refused, .ban:
                    Issue.record("an honest network refused something: \(directive)")
                }
            }
        }
        let present = (0..<count).filter { $0 != away }
        #expect(present.allSatisfy { reachedAt[$0] != nil }, "\(present.count - present.filter { reachedAt[$0] != nil }.count) nodes missed it")
        #expect(present.compactMap { reachedAt[$0] }.max()! <= 3_000, "by push within 15 rounds of 200 ms")
        #expect(reachedAt[away].map { $0 > 10_000 } == true, "the node that was away caught up by push-pull")
    }
}
