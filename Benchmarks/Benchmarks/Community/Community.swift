// Community logs (issue 5): the fold of a 100,000-event log beside the signature checks any
// replica must do for the same events (the raw limit), inserting them one at a time as a
// replica receives them, syncing the whole log to a new member's node over a loopback Noise
// session (every event verified, checked against its causal past and stored), and a
// community answer over 20 member nodes.

import Benchmark
import Foundation
import Logging
import OMSCore
import OMSCrypto
@_spi(Benchmarks) import OMSNode
import OMSProtocol
import OMSStore
import Synchronization

let manifest = try! ManifestDocument(
    yaml: """
        manifest: 1
        name: bench
        purpose: Benchmarks.
        governance:
          roles: [admin, member]
          decisions: {manifest: {by: admin}, roles: {by: admin}, apps: {by: admin}, admission: {by: admin}, suspension: {by: admin}}
        joining: {mode: open}
        consent:
          - {stream: steps, answers: [count, mean], min-count: 1}
        access:
          - {who: members, streams: [steps], answers: [count, mean]}
        departure: {export: true, retain: 0d}
        apps: [route-map]
        """)

/// A linear log: the founder's create, a member on `memberNode`'s join, then the founder
/// registering and removing an app, over and over, each event on the one before.
func makeLog(count: Int, founderNode: NodeID, memberNode: NodeID) -> [SignedCommunityEvent] {
    let founder = Ed25519.PrivateKey()
    let member = Ed25519.PrivateKey()
    // A day ago, so that a replica's clock never finds an event ahead of it.
    var time = UInt64(Date().timeIntervalSince1970 * 1000) - 86_400_000
    let create = try! CommunityEvent(
        community: nil, time: time, parents: [],
        body: .create(group: .community, tcc: TCCID(uncheckedBytes: SecureRandom.bytes(32)), node: founderNode, manifest: manifest)
    ).signed(with: founder)
    let community = create.communityID
    var events = [create]
    time += 1
    events.append(
        try! CommunityEvent(
            community: community, time: time, parents: [create.id],
            body: .join(manifestHash: manifest.hash, tcc: TCCID(uncheckedBytes: SecureRandom.bytes(32)), node: memberNode, evidence: [])
        ).signed(with: member))
    while events.count < count {
        time += 1
        events.append(
            try! CommunityEvent(
                community: community, time: time, parents: [events.last!.id], body: .action(.app(add: events.count % 2 == 0, name: "route-map"))
            ).signed(with: founder))
    }
    return events
}

let quiet = Logger(label: "oms.bench") { _ in SwiftLogNoOpLogHandler() }
let network = try! NetworkID("oms-bench")

/// A node with its host, exchange and communities, listening on loopback or dialling `bootstrap`.
struct BenchNode: Sendable {
    let node: Node
    let host: TCFHost
    let communities: Communities
    let run: Task<Void, any Error>

    static func start(_ root: URL, _ name: String, listen: Bool, bootstrap: [Endpoint] = []) async throws -> BenchNode {
        let (store, identity) = try NodeStore.initialize(
            directory: DataDirectory(root.appendingPathComponent(name).path), network: network, passphrase: nil,
            argon2: Argon2id.Parameters(opsLimit: 1, memLimit: 8192))
        let host = try TCFHost(store: store, nodeIdentity: identity)
        let node = Node(
            configuration: NodeConfiguration(
                identity: identity, trust: .keyFile, network: network, listen: listen ? try Endpoint(host: "127.0.0.1", port: 0) : nil, bootstrap: bootstrap,
                greetPeers: false),
            store: store, logger: quiet)
        if listen { try await node.bind() }
        let exchange = Exchange(host: host, nodeIdentity: identity)
        await node.serveQueries(exchange.responder)
        let communities = try Communities(host: host, node: node, exchange: exchange)
        await node.serveRequests(communities.handler)
        return BenchNode(node: node, host: host, communities: communities, run: Task { try await node.run() })
    }

    func stop() async {
        run.cancel()
        _ = try? await run.value
    }
}

func waitForSessions(_ node: Node, count: Int) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while await node.connectedPeers().count < count {
        guard ContinuousClock.now < deadline else { fatalError("fewer than \(count) sessions after 30 s") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Two nodes: A holds a 100,000-event log, B hosts a member and starts each sync empty.
struct SyncPair: Sendable {
    let a: BenchNode
    let b: BenchNode
    let community: TCCID
    let root: URL

    static func start() async throws -> SyncPair {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-community-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let a = try await BenchNode.start(root, "a", listen: true)
        let b = try await BenchNode.start(root, "b", listen: false, bootstrap: [await a.node.listeningAddress!])
        let events = makeLog(count: 100_000, founderNode: a.node.id, memberNode: b.node.id)
        try a.communities.benchmarkAdopt(events)
        try b.communities.benchmarkAdopt([events[0]])
        try await waitForSessions(b.node, count: 1)
        return SyncPair(a: a, b: b, community: events[0].communityID, root: root)
    }

    func stop() async {
        await a.stop()
        await b.stop()
        try? FileManager.default.removeItem(at: root)
    }
}

/// 20 member nodes with 100 step records each and a policy for the community's members; node 0
/// asks.
struct AnswerRing: Sendable {
    let nodes: [BenchNode]
    let community: TCCID
    let asker: TCCRecord
    let root: URL

    static func start(members: Int = 20) async throws -> AnswerRing {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-answer-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let first = try await BenchNode.start(root, "n0", listen: true)
        let address = await first.node.listeningAddress!
        var nodes = [first]
        for index in 1..<members { nodes.append(try await BenchNode.start(root, "n\(index)", listen: false, bootstrap: [address])) }
        try await waitForSessions(first.node, count: members - 1)
        for bench in nodes.dropFirst() { try await waitForSessions(bench.node, count: 1) }
        var tccs: [TCCRecord] = []
        for (index, bench) in nodes.enumerated() {
            let tcc = try bench.host.createTCC(in: try bench.host.createTCF(name: try Name("home")).id, kind: .private, name: try Name("m\(index)"))
            let phone = try bench.host.addDevice(to: tcc, name: try Name("phone"), streams: [.steps]).device
            let body = (0..<100).map { "{\"stream\":\"steps\",\"time\":\(1_795_687_200_000 + $0 * 60_000),\"count\":\($0)}" }.joined(separator: "\n")
            _ = try bench.host.ingest(Array(body.utf8), format: .ndjson, batch: "day", from: phone)
            tccs.append(tcc)
        }
        let log = try first.communities.create(manifest: manifest, tcc: tccs[0])
        for (index, bench) in nodes.enumerated().dropFirst() {
            _ = try await bench.communities.join(log.community, via: first.node.id, as: tccs[index])
        }
        for (index, bench) in nodes.enumerated() {
            let policy = "version: 1\nrules:\n  - {id: club, effect: permit, principals: [{members-of: \(log.community)}], actions: [answer], streams: [steps], answers: [count]}\n"
            _ = try bench.host.setPolicy(tccs[index], name: try Name("club"), yaml: policy)
        }
        // Every replica up to date, so that every member is asked and answers.
        for bench in nodes.dropFirst() { _ = try await bench.communities.sync(log.community, from: first.node.id) }
        let ring = AnswerRing(nodes: nodes, community: log.community, asker: tccs[0], root: root)
        try await ring.ask()
        return ring
    }

    func ask() async throws {
        let answer = try await nodes[0].communities.ask(
            community, as: asker, question: Exchange.Question(target: community, module: try ModuleName("count"), stream: "steps"))
        guard answer.value == .number(Double(100 * nodes.count)) else {
            fatalError("the community answer is not the count of every member's records: \(answer.replies.map(\.outcome))")
        }
    }

    func stop() async {
        for node in nodes { await node.stop() }
        try? FileManager.default.removeItem(at: root)
    }
}

let pairs = Mutex<[SyncPair]>([])
let rings = Mutex<[AnswerRing]>([])
let logEvents = makeLog(count: 100_000, founderNode: NodeID(uncheckedBytes: SecureRandom.bytes(32)), memberNode: NodeID(uncheckedBytes: SecureRandom.bytes(32)))

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, warmupIterations: 1, scalingFactor: .one,
        maxDuration: .seconds(30), maxIterations: 10)

    Benchmark("Community log: fold of 100,000 events (order and apply)") { benchmark in
        let log = try CommunityLog(restoring: logEvents)
        blackHole(log.state.hash)
    }

    Benchmark("Community log: 100,000 events inserted one at a time (causal checks)") { benchmark in
        var log = try CommunityLog(create: logEvents[0])
        for event in logEvents.dropFirst() { try log.insert(event, now: 1_900_000_000_000) }
        blackHole(log.state.hash)
    }

    Benchmark("Raw limit: Ed25519 verify of the same 100,000 envelopes") { benchmark in
        for event in logEvents { try event.envelope.verify() }
    }

    Benchmark("Sync of a 100,000-event log to a new member's node over loopback (verify, check, store)", configuration: .init(maxIterations: 3)) {
        (benchmark: Benchmark, pair: SyncPair) in
        benchmark.startMeasurement()
        let received = try await pair.b.communities.sync(pair.community, from: pair.a.node.id)
        benchmark.stopMeasurement()
        guard received == 99_999 else { fatalError("synced \(received) events, not 99,999") }
        try pair.b.communities.benchmarkForget(pair.community)
    } setup: {
        let pair = try await SyncPair.start()
        pairs.withLock { $0.append(pair) }
        return pair
    } teardown: {
        for pair in pairs.withLock({ p in defer { p = [] }; return p }) { await pair.stop() }
    }

    Benchmark("Community answer (count) over 20 member nodes: 20 signed queries, answers, checks, audits", configuration: .init(maxIterations: 50)) {
        (benchmark: Benchmark, ring: AnswerRing) in
        try await ring.ask()
    } setup: {
        let ring = try await AnswerRing.start()
        rings.withLock { $0.append(ring) }
        return ring
    } teardown: {
        for ring in rings.withLock({ r in defer { r = [] }; return r }) { await ring.stop() }
    }
}
