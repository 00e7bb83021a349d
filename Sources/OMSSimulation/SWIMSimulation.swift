import Foundation
import OMSCore

/// A network of `SWIMInstance`s — the same state machine nodes run — on an in-memory network
/// with loss, latency and crashes, driven by one event queue and one seed: the same settings
/// give the same run, message for message. Every instance starts knowing every other alive (a
/// shared roster), `crashes` of them stop at `crashAt` (and, with `rejoinAfter`, start again
/// that much later, above their last incarnation: churn), and the run measures how the others
/// find out: the first suspicion and the first and last declaration of death of each crashed
/// node, how a death spreads once declared, every wrong suspicion of a live node, and the
/// messages sent.
public struct SWIMSimulation {
    public struct Settings: Sendable {
        public var nodes = 1000
        public var seed: UInt64 = 1
        /// Probability that a message is lost.
        public var loss = 0.0
        /// One-way delay: `latency` ± `jitter` ms, uniformly.
        public var latency: UInt64 = 10
        public var jitter: UInt64 = 5
        public var crashes = 1
        /// When the crashed nodes stop (ms), after the others have settled.
        public var crashAt: UInt64 = 10_000
        /// When set, the crashed nodes restart this long after the crash (ms), as a real node
        /// does: knowing the roster, at an incarnation above its last, announcing itself.
        public var rejoinAfter: UInt64?
        /// How long the run lasts (ms).
        public var duration: UInt64 = 60_000
        public var swim = SWIMSettings.lan

        public init() {}
    }

    /// What happened to one crashed node, in ms after the crash (nil: not within the run).
    public struct Detection: Sendable {
        public var node: UInt32
        public var firstSuspected: UInt64?
        public var firstDead: UInt64?
        /// When every live node held it dead.
        public var allDead: UInt64?
        /// After a restart: when every other live node held it alive again (ms after the restart).
        public var allAliveAgain: UInt64?
    }

    public struct Report: Sendable {
        public var settings: Settings
        public var detections: [Detection]
        /// Suspicions, and declarations of death, of nodes that had not crashed, by any node.
        public var falseSuspicions: Int
        public var falseDeaths: Int
        public var messages: Int
        public var lost: Int
        /// Messages sent per node per second of the run.
        public var messagesPerNodePerSecond: Double
        /// Wall-clock time the simulation took (s).
        public var elapsed: Double
    }

    enum Event {
        case deliver(from: UInt32, to: UInt32, message: SWIMMessage<UInt32>)
        case wake(node: UInt32)
    }

    public let settings: Settings
    var nodes: [SWIMInstance<UInt32>] = []
    var crashed: [Bool]
    /// The time of each node's pending wake-up (`.max`: none).
    var scheduled: [UInt64]
    var queue = EventQueue<Event>()
    var random: SeededGenerator
    var now: UInt64 = 0
    var network: SimulatedNetwork
    var detections: [UInt32: Detection] = [:]
    var deadCount: [UInt32: Int] = [:]
    var falseSuspicions = 0
    var falseDeaths = 0
    let rosterSet: Set<UInt32>
    /// Restarted nodes, when they restarted, and how many others hold them alive again.
    var rejoinedAt: [UInt32: UInt64] = [:]
    var aliveAgain: [UInt32: Set<UInt32>] = [:]

    public init(settings: Settings) {
        self.settings = settings
        random = SeededGenerator(seed: settings.seed)
        network = SimulatedNetwork(loss: settings.loss, latency: settings.latency, jitter: settings.jitter)
        let roster = (0..<UInt32(settings.nodes)).map { $0 }
        rosterSet = Set(roster)
        nodes.reserveCapacity(settings.nodes)
        for id in roster {
            nodes.append(SWIMInstance(myself: id, settings: settings.swim, seed: settings.seed &* 0x9E37_79B9 &+ UInt64(id), now: 0, roster: roster, rosterSet: rosterSet))
        }
        crashed = Array(repeating: false, count: settings.nodes)
        scheduled = Array(repeating: .max, count: settings.nodes)
    }

    public mutating func run() -> Report {
        let started = Date()
        for id in nodes.indices { schedule(UInt32(id)) }
        var victims = Array(0..<UInt32(settings.nodes))
        victims.shuffle(using: &random)
        let chosen = Array(victims.prefix(min(settings.crashes, settings.nodes)))
        var pendingCrash = !chosen.isEmpty
        var pendingRejoin = settings.rejoinAfter != nil && !chosen.isEmpty
        while let (time, event) = queue.pop(), time <= settings.duration {
            if !pendingCrash, pendingRejoin, let after = settings.rejoinAfter, time >= settings.crashAt + after {
                pendingRejoin = false
                for victim in chosen { rejoin(victim, at: time) }
            }
            if pendingCrash, time >= settings.crashAt {
                pendingCrash = false
                for victim in chosen {
                    crashed[Int(victim)] = true
                    detections[victim] = Detection(node: victim)
                }
            }
            now = time
            switch event {
            case .deliver(let from, let to, let message):
                guard !crashed[Int(to)] else { continue }
                carry(out: nodes[Int(to)].onMessage(message, from: from, now: now), of: to)
                schedule(to)
            case .wake(let node):
                guard !crashed[Int(node)], scheduled[Int(node)] == time else { continue }
                scheduled[Int(node)] = .max
                carry(out: nodes[Int(node)].onTick(now: now), of: node)
                schedule(node)
            }
        }
        let seconds = Double(settings.duration) / 1000
        return Report(
            settings: settings, detections: chosen.map { detections[$0] ?? Detection(node: $0) }, falseSuspicions: falseSuspicions,
            falseDeaths: falseDeaths, messages: network.messages, lost: network.lost,
            messagesPerNodePerSecond: Double(network.messages) / Double(max(1, settings.nodes)) / seconds, elapsed: Date().timeIntervalSince(started))
    }

    /// A crashed node starts again: a new instance that knows the roster, one incarnation above
    /// its last life's, gossiping its alive from the start.
    private mutating func rejoin(_ node: UInt32, at time: UInt64) {
        now = time
        crashed[Int(node)] = false
        rejoinedAt[node] = time
        let last = nodes[Int(node)].incarnation
        let roster = nodes[Int(node)].members.roster
        nodes[Int(node)] = SWIMInstance(
            myself: node, settings: settings.swim, seed: settings.seed &* 0x5EED &+ UInt64(node), now: time, incarnation: last + 1,
            roster: roster, rosterSet: rosterSet)
        scheduled[Int(node)] = .max
        schedule(node)
    }

    private mutating func schedule(_ node: UInt32) {
        let deadline = max(now, nodes[Int(node)].nextDeadline)
        guard deadline < scheduled[Int(node)] else { return }
        scheduled[Int(node)] = deadline
        queue.push(.wake(node: node), at: deadline)
    }

    private mutating func carry(out directives: [SWIMInstance<UInt32>.Directive], of node: UInt32) {
        for directive in directives {
            switch directive {
            case .send(let message, let to):
                guard !crashed[Int(to)] else {
                    network.sentToNobody()
                    continue
                }
                if let at = network.deliveryTime(now: now, using: &random) { queue.push(.deliver(from: node, to: to, message: message), at: at) }
            case .changed(let member, let previous):
                observe(member, previous: previous, by: node)
            }
        }
    }

    /// Counts a change of belief: towards a crashed node's detection, or as a false one.
    private mutating func observe(_ member: SWIMMember<UInt32>, previous: SWIMStatus?, by observer: UInt32) {
        if member.status == .alive {
            // A restarted node held alive again by a node that never crashed, which had it dead,
            // suspect or forgotten.
            if let restarted = rejoinedAt[member.peer], previous != .alive, detections[observer] == nil,
                var detection = detections[member.peer]
            {
                aliveAgain[member.peer, default: []].insert(observer)
                if aliveAgain[member.peer]?.count == settings.nodes - settings.crashes, detection.allAliveAgain == nil {
                    detection.allAliveAgain = now - restarted
                    detections[member.peer] = detection
                }
            }
            return
        }
        guard var detection = detections[member.peer], crashed[Int(member.peer)] else {
            if member.status == .suspect { falseSuspicions += 1 } else { falseDeaths += 1 }
            return
        }
        let since = now - settings.crashAt
        if member.status == .suspect, detection.firstSuspected == nil { detection.firstSuspected = since }
        if member.status == .dead {
            if detection.firstDead == nil { detection.firstDead = since }
            deadCount[member.peer, default: 0] += 1
            if deadCount[member.peer] == settings.nodes - settings.crashes { detection.allDead = since }
        }
        detections[member.peer] = detection
    }
}

extension SWIMSimulation.Report {
    /// SWIM's expected time to the first detection of a failure (SWIM §3.1): a probe period
    /// times e/(e - 1), each live member probing one member a period.
    public var expectedFirstDetection: Double { Double(settings.swim.probeInterval) * M_E / (M_E - 1) }

    /// The rounds of `log2 n` that epidemic dissemination needs, for comparison.
    public var log2Nodes: Double { log2(Double(max(2, settings.nodes))) }

    public var csvHeader: String {
        "nodes,seed,loss,latency_ms,crashed,first_suspected_ms,first_dead_ms,all_dead_ms,spread_ms,alive_again_ms,false_suspicions,false_deaths,messages,msgs_per_node_per_s,elapsed_s"
    }

    /// One CSV line per crashed node.
    public var csvRows: [String] {
        detections.map { d in
            let spread = d.allDead.flatMap { all in d.firstDead.map { all - $0 } }
            return [
                "\(settings.nodes)", "\(settings.seed)", "\(settings.loss)", "\(settings.latency)", "\(d.node)", field(d.firstSuspected),
                field(d.firstDead), field(d.allDead), field(spread), field(d.allAliveAgain), "\(falseSuspicions)", "\(falseDeaths)", "\(messages)",
                String(format: "%.2f", messagesPerNodePerSecond), String(format: "%.1f", elapsed),
            ].joined(separator: ",")
        }
    }

    private func field(_ value: UInt64?) -> String { value.map(String.init) ?? "" }
}
