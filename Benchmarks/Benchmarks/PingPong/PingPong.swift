// Ping/pong round trips between two real `Node`s over one loopback TCP connection (Noise
// transport, frames, the session actors and SwiftNIO all included). Both nodes live in this one
// process and share the machine's cores with each other and with the benchmark harness.
//
// Pipelined: up to `window` pings outstanding, each its own frame in its own Noise message; one
// iteration is 1,000 round trips, so the scaled throughput is round trips per second.
// Sequential: one ping outstanding; one iteration is one round trip, so wallClock is the RTT.

import Benchmark
import Logging
import OMSCrypto
@_spi(Benchmarks) import OMSNode
import OMSProtocol
import Synchronization

/// Two nodes with an established session: `pinger` dialled `ponger`.
struct NodePair: Sendable {
    let ponger: Node
    let pinger: Node
    let runs: [Task<Void, any Error>]

    static func start() async throws -> NodePair {
        let network = try NetworkID("oms-bench")
        let quiet = Logger(label: "oms.bench") { _ in SwiftLogNoOpLogHandler() }
        let ponger = Node(
            configuration: NodeConfiguration(
                identity: Ed25519.PrivateKey(), trust: .keyFile, network: network, listen: try Endpoint(host: "127.0.0.1", port: 0),
                greetPeers: false),
            store: nil, logger: quiet)
        try await ponger.bind()
        guard let address = await ponger.listeningAddress else { fatalError("the first node did not bind") }
        let pinger = Node(
            configuration: NodeConfiguration(
                identity: Ed25519.PrivateKey(), trust: .keyFile, network: network, listen: nil, bootstrap: [address], greetPeers: false),
            store: nil, logger: quiet)
        let runs = [Task { try await ponger.run() }, Task { try await pinger.run() }]
        let pair = NodePair(ponger: ponger, pinger: pinger, runs: runs)
        let deadline = ContinuousClock.now + .seconds(10)
        while !(await pair.established()) {
            guard ContinuousClock.now < deadline else { fatalError("no session between the two nodes after 10 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
        return pair
    }

    /// Both sides have each other's Hello (`agent` is set once the Hello arrived).
    func established() async -> Bool {
        let a = await ponger.status().sessions.contains { $0.peer == pinger.id && $0.agent != nil }
        let b = await pinger.status().sessions.contains { $0.peer == ponger.id && $0.agent != nil }
        return a && b
    }

    func stop() async {
        for run in runs { run.cancel() }
        for run in runs { _ = try? await run.value }
    }
}

/// Pairs started by a benchmark's setup, stopped by its teardown.
let runningPairs = Mutex<[NodePair]>([])

func startPair() async throws -> NodePair {
    let pair = try await NodePair.start()
    runningPairs.withLock { $0.append(pair) }
    return pair
}

let runningQueryPairs = Mutex<[QueryPair]>([])

func startQueryPair() async throws -> QueryPair {
    let pair = try await QueryPair.start()
    runningQueryPairs.withLock { $0.append(pair) }
    return pair
}

func stopQueryPairs() async {
    let pairs = runningQueryPairs.withLock { pairs in
        defer { pairs = [] }
        return pairs
    }
    for pair in pairs { await pair.stop() }
}

func stopPairs() async {
    let pairs = runningPairs.withLock { pairs in
        defer { pairs = [] }
        return pairs
    }
    for pair in pairs { await pair.stop() }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 200
    )

    for window in [16, 128] {
        Benchmark("Ping/pong pipelined, window \(window), 1 connection") { benchmark, pair in
            try await pair.pinger.benchmarkPingPong(to: pair.ponger.id, count: 1_000, window: window)
        } setup: {
            try await startPair()
        } teardown: {
            await stopPairs()
        }
    }

    Benchmark(
        "Ping/pong sequential (1 outstanding), 1 connection",
        configuration: .init(warmupIterations: 100, scalingFactor: .one, maxIterations: 20_000)
    ) { benchmark, pair in
        try await pair.pinger.benchmarkPingPong(to: pair.ponger.id, count: 1, window: 1)
    } setup: {
        try await startPair()
    } teardown: {
        await stopPairs()
    }

    Benchmark(
        "Query/answer round trip (sign, send, check, decide, mean of 1,000, sign, check; audited both sides)",
        configuration: .init(warmupIterations: 10, scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 5_000)
    ) { benchmark, pair in
        try await pair.roundTrip()
    } setup: {
        try await startQueryPair()
    } teardown: {
        await stopQueryPairs()
    }
}
