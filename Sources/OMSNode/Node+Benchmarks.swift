import OMSCore
import OMSProtocol

// Hooks for the Benchmarks/ package (BENCHMARKS.md). They are SPI: not part of the public API,
// visible only to code that writes `@_spi(Benchmarks) import OMSNode`.

extension Node {
    /// Sends `count` pings to `peer` over its established session, keeping at most `window`
    /// outstanding, and returns once every pong is back. `window: 1` measures round-trip
    /// latency; a larger window measures pipelined round trips on one connection.
    ///
    /// Each ping is its own frame in its own Noise message, as independent requests would be.
    /// The pings use a nonce range of their own, so the session's keep-alive pings are unaffected.
    @_spi(Benchmarks)
    public func benchmarkPingPong(to peer: NodeID, count: Int, window: Int) async throws {
        precondition(count > 0 && window > 0, "count and window must be positive")
        guard let session = sessions[peer], await session.isEstablished else {
            throw NodeError(.noSession, "no established session with \(peer.short) to ping")
        }
        try await session.runPingProbe(count: count, window: window)
    }
}

/// The state of one `benchmarkPingPong` run, kept by the `PeerSession` that runs it.
struct PingProbe {
    /// Nonces `firstNonce ..< firstNonce + count` belong to this run.
    let firstNonce: UInt64
    let count: Int
    var sent = 0
    var received = 0
    let done: CheckedContinuation<Void, any Error>

    func owns(_ nonce: UInt64) -> Bool {
        nonce >= firstNonce && nonce - firstNonce < UInt64(count)
    }
}

extension PeerSession {
    func runPingProbe(count: Int, window: Int) async throws {
        precondition(pingProbe == nil, "one ping benchmark at a time per session")
        // Far from the random keep-alive nonces: the top bit set, a random start below it.
        let first = UInt64.random(in: (1 << 63)...(UInt64.max - UInt64(count)))
        try await withCheckedThrowingContinuation { continuation in
            pingProbe = PingProbe(firstNonce: first, count: count, done: continuation)
            for _ in 0..<min(window, count) { sendProbePing() }
            if isClosed { finishPingProbe(NodeError(.noSession, "the session closed during the ping benchmark")) }
        }
    }

    /// Called from `receive` for every pong; counts the probe's own and keeps the window full.
    func probeReceivedPong(nonce: UInt64) {
        guard var probe = pingProbe, probe.owns(nonce) else { return }
        probe.received += 1
        pingProbe = probe
        if probe.received == probe.count {
            finishPingProbe(nil)
        } else if probe.sent < probe.count {
            sendProbePing()
        }
    }

    /// Ends a running probe, e.g. because the session closed.
    func finishPingProbe(_ error: (any Error)?) {
        guard let probe = pingProbe else { return }
        pingProbe = nil
        if let error { probe.done.resume(throwing: error) } else { probe.done.resume() }
    }

    private func sendProbePing() {
        guard var probe = pingProbe else { return }
        var ping = WireFrame()
        ping.ping = .with { $0.nonce = probe.firstNonce + UInt64(probe.sent) }
        probe.sent += 1
        pingProbe = probe
        send([ping])
    }
}

extension Communities {
    /// Holds `events` (a whole log, its create event first, parents before children) as if they
    /// had been synced, without checking them one by one: the source of a sync benchmark.
    @_spi(Benchmarks)
    public func benchmarkAdopt(_ events: [SignedCommunityEvent]) throws {
        let log = try CommunityLog(restoring: events)
        try host.store.addCommunity(log.community, events: events, at: host.now())
        logs.withLock { $0[log.community] = log }
    }

    /// Forgets all of a community but its create event, so that the next sync fetches the rest.
    @_spi(Benchmarks)
    public func benchmarkForget(_ community: TCCID) throws {
        let create = try log(community).create
        try host.store.removeCommunity(community)
        try host.store.addCommunity(community, events: [create], at: host.now())
        let log = try CommunityLog(create: create)
        logs.withLock { $0[community] = log }
    }
}
