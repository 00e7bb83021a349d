import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol

/// A network of `Dissemination` machines — the same push gossip with push-pull that spreads
/// manifests between nodes — on the in-memory network of `SWIMSimulation`: one item is
/// published at one node, and the run measures when each node first holds it, in time and in
/// gossip rounds (a node pushes news at its next gossip tick), how many hops from the publisher
/// it came, and the messages it took.
/// Seeded and deterministic like the membership run.
public struct DisseminationSimulation {
    public struct Settings: Sendable {
        public var nodes = 1000
        public var seed: UInt64 = 1
        public var loss = 0.0
        public var latency: UInt64 = 10
        public var jitter: UInt64 = 5
        /// When the item is published (ms).
        public var publishAt: UInt64 = 1000
        public var duration: UInt64 = 60_000
        public var gossip = DisseminationSettings()

        public init() {}
    }

    public struct Report: Sendable {
        public var settings: Settings
        /// When each node that got the item first held it, in ms after publishing, ascending.
        public var reached: [UInt64]
        /// Hops from the publisher to each node that got the item, ascending.
        public var hops: [Int]
        /// Item frames and digests sent, and lost.
        public var messages: Int
        public var lost: Int
        public var elapsed: Double

        public var missed: Int { settings.nodes - reached.count }

        /// When `fraction` of all nodes held the item (ms after publishing); nil if never.
        public func time(toReach fraction: Double) -> UInt64? {
            let needed = Int((Double(settings.nodes) * fraction).rounded(.up))
            return needed <= reached.count ? reached[max(0, needed - 1)] : nil
        }

        /// Gossip rounds (intervals) until `fraction` of all nodes held the item.
        public func rounds(toReach fraction: Double) -> Double? {
            time(toReach: fraction).map { Double($0) / Double(max(1, settings.gossip.gossipInterval)) }
        }

        /// Hops from the publisher within which `fraction` of all nodes held the item.
        public func hops(toReach fraction: Double) -> Int? {
            let needed = Int((Double(settings.nodes) * fraction).rounded(.up))
            return needed <= hops.count ? hops[max(0, needed - 1)] : nil
        }

        /// Push gossip with fanout f grows the informed set about (f + 1)-fold a round at
        /// first: log_{f+1} n rounds, plus ln n / f to reach the last few (Pittel's bound for
        /// f = 1 is log2 n + ln n).
        public var theoryRounds: Double {
            let n = Double(max(2, settings.nodes))
            let f = Double(max(1, settings.gossip.fanout))
            return log(n) / log(f + 1) + log(n) / f
        }

        /// Item messages each node sent, on average, for the whole spread.
        public var messagesPerNode: Double { Double(messages) / Double(max(1, settings.nodes)) }

        public var csvHeader: String { "nodes,seed,loss,latency_ms,fanout,reached,missed,p50_ms,p90_ms,all_ms,rounds_all,hops_p50,hops_all,theory_rounds,messages,msgs_per_node,elapsed_s" }

        public var csvRow: String {
            func field(_ value: UInt64?) -> String { value.map(String.init) ?? "" }
            return [
                "\(settings.nodes)", "\(settings.seed)", "\(settings.loss)", "\(settings.latency)", "\(settings.gossip.fanout)", "\(reached.count)",
                "\(missed)", field(time(toReach: 0.5)), field(time(toReach: 0.9)), field(time(toReach: 1)),
                rounds(toReach: 1).map { String(format: "%.1f", $0) } ?? "", hops(toReach: 0.5).map(String.init) ?? "", hops(toReach: 1).map(String.init) ?? "", String(format: "%.1f", theoryRounds),
                "\(messages)", String(format: "%.2f", messagesPerNode), String(format: "%.1f", elapsed),
            ].joined(separator: ",")
        }
    }

    enum Event {
        case items(from: UInt32, to: UInt32, items: [[UInt8]])
        case digest(from: UInt32, to: UInt32, entries: [DigestEntry<UInt32>], reply: Bool)
        case wake(node: UInt32)
        case publish
    }

    public let settings: Settings
    var machines: [Dissemination<UInt32, UInt32>] = []
    let everyone: [UInt32]
    var scheduled: [UInt64]
    var queue = EventQueue<Event>()
    var random: SeededGenerator
    var now: UInt64 = 0
    var reachedAt: [UInt64?]
    var hopCount: [Int]
    var network: SimulatedNetwork
    /// The hops of the item in the message being handled (its sender's, plus one).
    var arriving = 0

    public init(settings: Settings) {
        self.settings = settings
        random = SeededGenerator(seed: settings.seed)
        everyone = (0..<UInt32(settings.nodes)).map { $0 }
        machines = everyone.map { Dissemination(settings: settings.gossip, seed: settings.seed &* 0x9E37_79B9 &+ UInt64($0), now: 0, myself: $0) }
        scheduled = Array(repeating: .max, count: settings.nodes)
        reachedAt = Array(repeating: nil, count: settings.nodes)
        hopCount = Array(repeating: 0, count: settings.nodes)
        network = SimulatedNetwork(loss: settings.loss, latency: settings.latency, jitter: settings.jitter)
    }

    /// The item: its key and version, and a content id of its bytes as nodes compute it.
    static let item: GossipItem<UInt32> = {
        let bytes: [UInt8] = Array("oms-sim item 1".utf8)
        return GossipItem(key: 1, version: 1, content: ObjectID(uncheckedBytes: BLAKE2b.hash(bytes, outputLength: 32)), bytes: bytes)
    }()

    static func open(_ bytes: [UInt8]) throws(GossipError) -> GossipItem<UInt32> {
        guard bytes == item.bytes else { throw GossipError(.malformed, "not the simulated item") }
        return item
    }

    public mutating func run() -> Report {
        let started = Date()
        for id in everyone { schedule(id) }
        queue.push(.publish, at: settings.publishAt)
        let origin = UInt32.random(in: 0..<UInt32(settings.nodes), using: &random)
        while let (time, event) = queue.pop(), time <= settings.duration {
            now = time
            switch event {
            case .publish:
                arriving = 0
                carry(out: machines[Int(origin)].publish(Self.item, now: now), of: origin)
                schedule(origin)
            case .items(let from, let to, let items):
                arriving = hopCount[Int(from)] + 1
                carry(out: machines[Int(to)].onItems(items, from: from, now: now, open: Self.open), of: to)
                schedule(to)
            case .digest(let from, let to, let entries, let reply):
                carry(out: machines[Int(to)].onDigest(entries, reply: reply, from: from, now: now), of: to)
                schedule(to)
            case .wake(let node):
                guard scheduled[Int(node)] == time else { continue }
                scheduled[Int(node)] = .max
                carry(out: machines[Int(node)].onTick(now: now, members: everyone, n: settings.nodes), of: node)
                schedule(node)
            }
        }
        let reached = reachedAt.compactMap { $0 }.map { $0 - settings.publishAt }.sorted()
        let hops = reachedAt.indices.filter { reachedAt[$0] != nil }.map { hopCount[$0] }.sorted()
        return Report(settings: settings, reached: reached, hops: hops, messages: network.messages, lost: network.lost, elapsed: Date().timeIntervalSince(started))
    }

    private mutating func schedule(_ node: UInt32) {
        let deadline = max(now, machines[Int(node)].nextDeadline)
        guard deadline < scheduled[Int(node)] else { return }
        scheduled[Int(node)] = deadline
        queue.push(.wake(node: node), at: deadline)
    }

    private mutating func carry(out directives: [Dissemination<UInt32, UInt32>.Directive], of node: UInt32) {
        for directive in directives {
            switch directive {
            case .sendItems(let items, let to):
                if let at = network.deliveryTime(now: now, using: &random) { queue.push(.items(from: node, to: to, items: items), at: at) }
            case .sendDigest(let entries, let reply, let to):
                if let at = network.deliveryTime(now: now, using: &random) {
                    queue.push(.digest(from: node, to: to, entries: entries, reply: reply), at: at)
                }
            case .stored:
                if reachedAt[Int(node)] == nil {
                    reachedAt[Int(node)] = now
                    hopCount[Int(node)] = arriving
                }
            case .refused, .ban:
                break
            }
        }
    }
}
