import OMSCore
import Testing

/// SWIM with Lifeguard as a pure state machine: its rules table by table, then small clusters
/// on an in-memory network with a fixed latency, where links can be cut and nodes crash.
@Suite struct SWIMInstanceTests {
    typealias Instance = SWIMInstance<UInt32>
    typealias Update = SWIMUpdate<UInt32>

    /// `count` instances that know each other, on a network delivering each message `latency`
    /// ms after it is sent, except on cut links and to or from crashed nodes.
    struct Cluster {
        struct Flight {
            var at: UInt64
            var from: UInt32
            var to: UInt32
            var message: SWIMMessage<UInt32>
        }

        var nodes: [UInt32: Instance] = [:]
        var crashed: Set<UInt32> = []
        /// Directed links that lose every message.
        var cut: Set<[UInt32]> = []
        var flights: [Flight] = []
        var now: UInt64 = 0
        let latency: UInt64 = 5
        /// Every change of belief: (time, observer, member, status).
        var changes: [(UInt64, UInt32, UInt32, SWIMStatus)] = []
        var sent = 0

        init(count: UInt32, seed: UInt64 = 1, settings: SWIMSettings = .lan) {
            for id in 0..<count { nodes[id] = Instance(myself: id, settings: settings, seed: seed &+ UInt64(id), now: 0) }
            for id in 0..<count {
                for other in 0..<count where other != id { handle(id, nodes[id]!.add(other, now: 0)) }
            }
            changes.removeAll()
        }

        mutating func handle(_ id: UInt32, _ directives: [Instance.Directive]) {
            for directive in directives {
                switch directive {
                case .send(let message, let to):
                    sent += 1
                    guard !crashed.contains(id), !crashed.contains(to), !cut.contains([id, to]) else { continue }
                    flights.append(Flight(at: now + latency, from: id, to: to, message: message))
                case .changed(let member, _): changes.append((now, id, member.peer, member.status))
                }
            }
        }

        mutating func run(for duration: UInt64) {
            let end = now + duration
            while now < end {
                now += 5
                let due = flights.filter { $0.at <= now }
                flights.removeAll { $0.at <= now }
                for flight in due where !crashed.contains(flight.to) {
                    handle(flight.to, nodes[flight.to]!.onMessage(flight.message, from: flight.from, now: now))
                }
                for id in nodes.keys.sorted() where !crashed.contains(id) && nodes[id]!.nextDeadline <= now {
                    handle(id, nodes[id]!.onTick(now: now))
                }
            }
        }

        func status(of member: UInt32, at observer: UInt32) -> SWIMStatus? { nodes[observer]?.members[member]?.status }
    }

    @Test func updatesOverrideAsSWIMSays() {
        let alive3 = SWIMMember(peer: UInt32(1), status: .alive, incarnation: 3, since: 0)
        let suspect3 = SWIMMember(peer: UInt32(1), status: .suspect, incarnation: 3, since: 0)
        let dead3 = SWIMMember(peer: UInt32(1), status: .dead, incarnation: 3, since: 0)
        let cases: [(Update, SWIMMember<UInt32>, Bool)] = [
            (Update(peer: 1, status: .alive, incarnation: 3), alive3, false),
            (Update(peer: 1, status: .alive, incarnation: 4), alive3, true),
            (Update(peer: 1, status: .alive, incarnation: 3), suspect3, false),
            (Update(peer: 1, status: .alive, incarnation: 4), suspect3, true),
            (Update(peer: 1, status: .alive, incarnation: 4), dead3, true),
            (Update(peer: 1, status: .suspect, incarnation: 3), alive3, true),
            (Update(peer: 1, status: .suspect, incarnation: 2), alive3, false),
            (Update(peer: 1, status: .suspect, incarnation: 3), suspect3, false),
            (Update(peer: 1, status: .suspect, incarnation: 4), suspect3, true),
            (Update(peer: 1, status: .suspect, incarnation: 9), dead3, false),
            (Update(peer: 1, status: .dead, incarnation: 3), alive3, true),
            (Update(peer: 1, status: .dead, incarnation: 2), suspect3, false),
            (Update(peer: 1, status: .dead, incarnation: 3), suspect3, true),
            (Update(peer: 1, status: .dead, incarnation: 9), dead3, false),
        ]
        for (update, member, expected) in cases {
            #expect(update.overrides(member) == expected, "\(update.status)@\(update.incarnation) over \(member.status)@\(member.incarnation)")
        }
    }

    /// Lifeguard's dynamic suspicion, table-driven: the longest time with no confirmation, the
    /// least once the expected number have come, a log scale between.
    @Test func suspicionShortensAsOthersConfirmIt() {
        let settings = SWIMSettings.lan
        var ten = SWIMSuspicion(incarnation: 0, reporter: UInt32(1), start: 1000, members: 10, settings: settings)
        #expect(ten.minimum == 4000 && ten.maximum == 24_000 && ten.expected == 2)
        #expect(ten.deadline == 1000 + 24_000)
        let confirmed = [ten.confirm(by: 2), ten.confirm(by: 2), ten.confirm(by: 1)]
        #expect(confirmed == [true, false, false], "each member confirms once; the reporter is no confirmation")
        #expect(ten.deadline == 1000 + 11_381)  // 24000 - 20000 · log 2 / log 3
        let third = ten.confirm(by: 3)
        #expect(third && ten.deadline == 1000 + 4000)
        let fourth = ten.confirm(by: 4)
        #expect(!fourth && ten.deadline == 1000 + 4000, "past the expected, a confirmation changes nothing")
        // A hundred members: log10 100 = 2 doubles the least time.
        #expect(SWIMSuspicion(incarnation: 0, reporter: UInt32(1), start: 0, members: 100, settings: settings).minimum == 8000)
        // Three members: too few to confirm, so the least time from the start.
        let three = SWIMSuspicion(incarnation: 0, reporter: UInt32(1), start: 0, members: 3, settings: settings)
        #expect(three.expected == 0 && three.deadline == 4000)
    }

    @Test func theGossipBufferSendsTheLeastSentFirstAndDropsAtItsLimit() {
        var buffer = GossipBuffer<Int, String>()
        buffer.enqueue("a1", about: 1)
        buffer.enqueue("b", about: 2)
        buffer.enqueue("c", about: 3)
        #expect(buffer.take(2, limit: 2) == ["a1", "b"])
        #expect(buffer.take(2, limit: 2) == ["c", "a1"])
        buffer.enqueue("a2", about: 1)  // replaces a1, sent afresh
        #expect(buffer.take(3, limit: 2) == ["a2", "b", "c"])
        #expect(buffer.count == 1 && buffer.take(3, limit: 2) == ["a2"] && buffer.isEmpty)
        buffer.enqueue("x", about: 7)
        buffer.remove(7)
        #expect(buffer.take(2, limit: 5).isEmpty, "a forgotten member's news goes with it")
    }

    /// A crashed member is declared dead by every other, within the time the settings promise
    /// (a probe period, a suspicion's longest time), and nobody else is ever suspected.
    @Test func aCrashedMemberIsDeclaredDeadByEveryone() {
        var settings = SWIMSettings.lan
        settings.deadRetention = 120_000  // still remembered at the end of the run
        var cluster = Cluster(count: 8, settings: settings)
        cluster.run(for: 10_000)
        #expect(cluster.changes.isEmpty, "a healthy cluster changes no belief: \(cluster.changes)")
        let crashAt = cluster.now
        cluster.crashed.insert(5)
        cluster.run(for: 40_000)
        for observer in UInt32(0)..<8 where observer != 5 {
            #expect(cluster.status(of: 5, at: observer) == .dead, "node \(observer)")
            let dead = cluster.changes.first { $0.1 == observer && $0.2 == 5 && $0.3 == .dead }
            #expect(dead.map { $0.0 - crashAt } ?? .max <= 8 * 1000 + 24_000, "node \(observer) took \(dead.map { $0.0 - crashAt } ?? 0) ms")
        }
        #expect(cluster.changes.allSatisfy { $0.2 == 5 }, "only node 5 was suspected: \(cluster.changes.filter { $0.2 != 5 })")
        // Forgotten once its death has had time to spread.
        cluster.run(for: 120_000)
        #expect((UInt32(0)..<8).allSatisfy { $0 == 5 || cluster.status(of: 5, at: $0) == nil })
        #expect(cluster.nodes[0]!.liveCount == 7 && cluster.nodes[0]!.members.dead.isEmpty)
    }

    /// Node 0 cannot reach node 3 directly, but others can: indirect probes keep 3 alive.
    @Test func aBrokenLinkIsBridgedByIndirectProbes() {
        var cluster = Cluster(count: 6)
        cluster.cut = [[0, 3], [3, 0]]
        cluster.run(for: 60_000)
        #expect(cluster.changes.isEmpty, "\(cluster.changes)")
        #expect(cluster.nodes[0]!.localHealth == 0, "the helpers' acks count as success")
    }

    /// A member suspected by one node learns it (buddy gossip or the suspicion's spread), raises
    /// its incarnation, and everyone sees it alive again.
    @Test func aWronglySuspectedMemberRefutes() {
        var cluster = Cluster(count: 5)
        cluster.run(for: 3000)
        let rumour = SWIMMessage<UInt32>.ping(sequence: 99, updates: [Update(peer: 2, status: .suspect, incarnation: 0, reporter: 4)])
        cluster.handle(0, cluster.nodes[0]!.onMessage(rumour, from: 4, now: cluster.now))
        #expect(cluster.status(of: 2, at: 0) == .suspect)
        cluster.run(for: 10_000)
        #expect(cluster.nodes[2]!.incarnation == 1)
        for observer in UInt32(0)..<5 where observer != 2 {
            #expect(cluster.status(of: 2, at: observer) == .alive && cluster.nodes[observer]!.members[2]?.incarnation == 1, "node \(observer)")
        }
        #expect(cluster.changes.allSatisfy { $0.3 != .dead }, "\(cluster.changes)")
    }

    /// Lifeguard: a node that hears nothing back blames itself too, probing ever less eagerly.
    @Test func aNodeThatHearsNothingLowersItsOwnHealth() {
        var cluster = Cluster(count: 5)
        cluster.cut = Set((UInt32(1)..<5).map { [$0, 0] })
        cluster.run(for: 20_000)
        #expect(cluster.nodes[0]!.localHealth == SWIMSettings.lan.awarenessMaximum - 1)
        let probes = cluster.nodes[0]!.nextDeadline
        #expect(probes > cluster.now, "a deadline ahead")
        #expect(cluster.nodes[1]!.localHealth == 0)
    }

    /// Anti-entropy: a node that missed a refutation catches up from another's whole state, and
    /// answers a push with its own; a ping to a suspect tells it so, and its ack carries the
    /// refutation back, however long ago gossip stopped carrying it.
    @Test func pushPullAndBuddiesRepairWhatGossipLost() {
        var a = Instance(myself: 1, seed: 1, now: 0)
        _ = a.add(2, now: 0)
        _ = a.add(3, now: 0)
        _ = a.onMessage(.gossip(updates: [Update(peer: 3, status: .suspect, incarnation: 0, reporter: 2)]), from: 2, now: 10)
        #expect(a.member(3)?.status == .suspect)
        let reply = a.onMessage(.pushPull(updates: [Update(peer: 2, status: .alive, incarnation: 0), Update(peer: 3, status: .alive, incarnation: 1)], reply: true), from: 2, now: 20)
        #expect(a.member(3)?.status == .alive && a.member(3)?.incarnation == 1)
        guard case .send(.pushPull(let state, false), 2)? = reply.last, reply.count == 2 else {
            Issue.record("no push-pull answer: \(reply)")
            return
        }
        #expect(state.first == Update(peer: 1, status: .alive, incarnation: 0) && state.contains(Update(peer: 3, status: .alive, incarnation: 1)))

        var x = Instance(myself: 3, seed: 2, now: 0)
        _ = x.add(1, now: 0)
        let ack = x.onMessage(.ping(sequence: 5, updates: [Update(peer: 3, status: .suspect, incarnation: 0, reporter: 1)]), from: 1, now: 30)
        #expect(x.incarnation == 1)
        guard case .send(.ack(5, let updates), 1)? = ack.first else {
            Issue.record("no ack: \(ack)")
            return
        }
        #expect(updates.first == Update(peer: 3, status: .alive, incarnation: 1), "the refutation rides on the ack")
    }

    @Test func aSeedMakesARunReproducible() {
        func run() -> [String] {
            var cluster = Cluster(count: 7, seed: 42)
            cluster.crashed.insert(3)
            cluster.run(for: 30_000)
            return cluster.changes.map { "\($0.0) \($0.1) \($0.2) \($0.3)" } + ["\(cluster.sent)"]
        }
        let first = run()
        #expect(first.count > 7)
        #expect(run() == first)
    }
}
