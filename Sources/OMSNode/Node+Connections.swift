import Foundation
import Logging
import NIOCore
import NIOPosix
import OMSCore
import OMSProtocol

extension Node {
    // MARK: Listening

    /// Binds the listening socket if the configuration asks for one. Idempotent.
    public func bind() async throws {
        guard server == nil, let listen = configuration.listen else { return }
        do {
            let server = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: listen.host, port: listen.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addNoiseMessageCodec()
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            self.server = server
            let port = server.channel.localAddress?.port ?? listen.port
            boundAddress = try Endpoint(host: listen.host, port: port)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw NodeError(.addressInUse, "\(listen) is already in use: is another node running? Pick another port with --listen")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw NodeError(.badAddress, "\(listen.host) is not an address of this machine")
        } catch let error as IOError where error.errnoCode == EACCES {
            throw NodeError(.badAddress, "not allowed to listen on \(listen) (ports below 1024 need privileges)")
        }
    }

    /// Accepts connections until the node stops. Stopping closes the listening socket rather
    /// than cancelling the loop: a cancelled loop would drop connections accepted but not yet
    /// read from the server's stream, and NIO traps on those (swift-nio#2637; 32 nodes stopping
    /// together while their peers redial hit it). Closed, the stream yields what it holds and
    /// ends; each connection still goes through `runConnection`, whose tasks are then cancelled
    /// (each says goodbye).
    func acceptLoop(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async {
        let serving = Task { await self.serve(server) }
        await withTaskCancellationHandler {
            await serving.value
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async {
        do {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    defer { group.cancelAll() }
                    for try await connection in inbound {
                        metrics.connectionsAccepted.increment()
                        let address = connection.channel.remoteAddress?.ipAddress ?? "?"
                        guard admitPending(address) else {
                            metrics.refusedConnections.increment()
                            logger.debug("refusing a connection: too many handshakes pending", metadata: ["node/peer-address": "\(address)"])
                            // Through `executeThenClose`, which finishes the connection's writer.
                            try? await connection.executeThenClose { _, _ in }
                            continue
                        }
                        group.addTask {
                            await self.runConnection(connection, direction: .inbound, dialled: nil, pendingAddress: address)
                        }
                    }
                }
            }
        } catch {
            if server.channel.isActive { logger.error("listener failed", metadata: ["node/error": "\(error)"]) }
        }
    }

    private func admitPending(_ address: String) -> Bool {
        let total = pendingHandshakes.values.reduce(0, +)
        guard total < configuration.limits.maximumPendingHandshakes,
            pendingHandshakes[address, default: 0] < configuration.limits.maximumPendingPerAddress
        else { return false }
        pendingHandshakes[address, default: 0] += 1
        return true
    }

    func releasePending(_ address: String) {
        pendingHandshakes[address, default: 1] -= 1
        if pendingHandshakes[address] == 0 { pendingHandshakes[address] = nil }
    }

    func noteDialError(_ endpoint: Endpoint, _ error: any Error) {
        if let error = error as? HandshakeError, error.code == .selfConnection {
            // One of our own addresses: never dial it again.
            dialTargets[endpoint] = nil
            return
        }
        dialTargets[endpoint]?.lastError = "\(error)"
    }

    // MARK: Dialling

    /// Keeps a connection to `endpoint` while it is a dial target: connect, run the session,
    /// and after a failure or a lost session wait with jittered exponential back-off.
    func dialLoop(_ endpoint: Endpoint) async {
        guard let generation = dialTargets[endpoint]?.generation else { return }
        var backoff = ReconnectBackoff(settings: configuration.backoff)
        while !Task.isCancelled, let target = dialTargets[endpoint], target.generation == generation {
            if let known = target.nodeID {
                if known == id {
                    dialTargets[endpoint] = nil
                    return
                }
                if sessions[known] != nil {
                    // Already connected to this node (perhaps it dialled us): check again later.
                    dialTargets[endpoint]?.state = .connected
                    try? await Task.sleep(for: .milliseconds(500))
                    continue
                }
            }
            dialTargets[endpoint]?.state = .connecting
            do {
                let channel = try await connect(endpoint)
                metrics.connectionsDialled.increment()
                let outcome = await runConnection(channel, direction: .outbound, dialled: endpoint, pendingAddress: nil)
                if outcome.healthy(minimum: configuration.session.pingInterval) {
                    backoff.reset()
                } else {
                    // Refused (busy, duplicate, shutting down) or gone at once: back off as for a
                    // failed dial, or a whole network would hammer a full node.
                    dialTargets[endpoint]?.failures += 1
                }
            } catch {
                metrics.dialFailures.increment()
                dialTargets[endpoint]?.failures += 1
                dialTargets[endpoint]?.lastError = "\(error)"
                logger.debug("dial failed", metadata: ["node/address": "\(endpoint)", "node/error": "\(error)"])
            }
            guard let current = dialTargets[endpoint], current.generation == generation else { return }
            if current.learned, current.failures >= configuration.limits.learnedPeerFailureLimit {
                // A learned address that keeps failing was a stale or false hint: forget it.
                logger.debug("forgetting a learned peer that does not answer", metadata: ["node/address": "\(endpoint)"])
                dialTargets[endpoint] = nil
                _ = try? store?.removeLearnedPeer(endpoint)
                return
            }
            dialTargets[endpoint]?.state = .waiting
            let delay = backoff.nextDelay { Double.random(in: 0..<1) }
            try? await Task.sleep(for: delay)
        }
    }

    private func connect(_ endpoint: Endpoint) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.nanoseconds(Int64(configuration.limits.connectTimeout.seconds * 1e9)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addNoiseMessageCodec()
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    // MARK: One connection

    /// How a connection went, for the dialler's back-off.
    struct ConnectionOutcome {
        /// The peer's Hello arrived: a session, not just a handshake.
        var established = false
        /// How long the session lasted after the handshake.
        var lasted: Duration = .zero

        static let failed = ConnectionOutcome()

        /// A session that lasted at least `minimum` counts as healthy and resets the back-off.
        func healthy(minimum: Duration) -> Bool { established && lasted >= minimum }
    }

    /// Runs a connection from handshake to close. Errors stay inside: one bad peer never takes
    /// anything else down.
    @discardableResult
    nonisolated func runConnection(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, direction: SessionArbiter.Direction, dialled: Endpoint?,
        pendingAddress: String?
    ) async -> ConnectionOutcome {
        let channel = connection.channel
        let peerAddress = channel.remoteAddress.map(PeerSession.describe) ?? "?"
        // An inbound connection holds a pending-handshake slot until its handshake ends.
        var holdsPendingSlot = pendingAddress != nil
        let outcome: ConnectionOutcome
        do {
            outcome = try await connection.executeThenClose { inbound, _ in
                var messages = inbound.makeAsyncIterator()
                let started = ContinuousClock.now
                let secure: SecureSession
                do {
                    let expected = if let dialled { await dialTargets[dialled]?.expected } else { NodeID?.none }
                    secure = try await handshake(
                        channel: channel, messages: &messages, direction: direction, expectedRemote: expected)
                } catch {
                    metrics.handshakesFailed.increment()
                    logger.info(
                        "handshake refused",
                        metadata: ["node/peer-address": "\(peerAddress)", "node/error": "\(error)"])
                    if let dialled { await noteDialError(dialled, error) }
                    return .failed
                }
                metrics.handshakesCompleted.increment()
                metrics.handshakeDuration.recordNanoseconds(Int64((ContinuousClock.now - started).seconds * 1e9))
                if let pendingAddress {
                    await releasePending(pendingAddress)
                    holdsPendingSlot = false
                }
                guard let session = await register(secure, channel: channel, direction: direction, dialled: dialled) else {
                    return .failed
                }
                let registered = ContinuousClock.now
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.tickLoop(session) }
                    do {
                        while let message = try await messages.next() {
                            let directives = await session.receive(message)
                            if !directives.isEmpty { await handle(directives, from: session) }
                            if await session.isClosed { break }
                        }
                    } catch {
                        logger.debug("connection error", metadata: ["node/peer": "\(session.remote.short)", "node/error": "\(error)"])
                    }
                    if Task.isCancelled {
                        await session.close(
                            reason: "shutting-down", farewell: SessionInstance.errorFrame(.shuttingDown, "node is shutting down"))
                    } else {
                        await session.close(reason: "connection-lost", farewell: nil)
                    }
                    group.cancelAll()
                }
                await unregister(session)
                return ConnectionOutcome(established: await session.isEstablished, lasted: .now - registered)
            }
        } catch {
            logger.debug("connection ended with an error", metadata: ["node/error": "\(error)"])
            outcome = .failed
        }
        if holdsPendingSlot, let pendingAddress { await releasePending(pendingAddress) }
        return outcome
    }

    private nonisolated func handshake(
        channel: any Channel, messages: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        direction: SessionArbiter.Direction, expectedRemote: NodeID?
    ) async throws -> SecureSession {
        var handshake = NodeHandshake(
            role: direction == .outbound ? .initiator : .responder, identity: handshakeIdentity,
            network: configuration.network, maximumFrameLength: configuration.limits.maximumFrameLength,
            expectedRemote: expectedRemote)
        let timeout = configuration.limits.handshakeTimeout
        let started = ContinuousClock.now
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.seconds * 1e9))) {
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        if direction == .outbound {
            channel.writeAndFlush(channel.allocator.buffer(bytes: try handshake.start()), promise: nil)
        }
        while true {
            guard let message = try await messages.next() else {
                if ContinuousClock.now - started >= timeout {
                    throw HandshakeError(.timedOut, "the handshake did not finish within \(timeout)")
                }
                throw HandshakeError(
                    .closedByPeer, "the peer closed the connection during the handshake (another network, or it refused us)")
            }
            switch try handshake.receive(Array(message.readableBytesView)) {
            case .send(let reply):
                channel.writeAndFlush(channel.allocator.buffer(bytes: reply), promise: nil)
            case .sendAndEstablish(let reply, let session):
                channel.writeAndFlush(channel.allocator.buffer(bytes: reply), promise: nil)
                return session
            case .establish(let session):
                return session
            }
        }
    }

    private nonisolated func tickLoop(_ session: PeerSession) async {
        while !Task.isCancelled {
            let deadline = await session.nextDeadline
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return
            }
            let directives = await session.tick()
            if !directives.isEmpty { await handle(directives, from: session) }
            if await session.isClosed { return }
        }
    }
}
