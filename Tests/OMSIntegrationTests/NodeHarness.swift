import Foundation
import Logging
import NIOCore
import NIOPosix
import OMSCore
import OMSCrypto
@testable import OMSNode
@testable import OMSProtocol
import OMSStore
import Testing

/// Every suite of real nodes runs inside this one, one test at a time: a test that floods a
/// node with traffic would otherwise starve the timers of whatever ran beside it.
@Suite(.serialized) enum IntegrationTests {}

/// Starts real nodes on loopback (ephemeral ports) for the length of a test, and stops them
/// (cancelling `run()`, which says goodbye and closes every socket) when the body returns.
enum NodeHarness {
    static let quietLogger = Logger(label: "oms.test") { _ in SwiftLogNoOpLogHandler() }

    /// Settings that keep tests quick: fast pings, short time-outs, quick reconnects.
    static func configuration(
        identity: Ed25519.PrivateKey = Ed25519.PrivateKey(), network: NetworkID = testNetwork, bootstrap: [Endpoint] = [],
        limits: NodeConfiguration.Limits = .init(handshakeTimeout: .seconds(2), connectTimeout: .seconds(1)),
        greet: Bool = true
    ) -> NodeConfiguration {
        NodeConfiguration(
            identity: identity, trust: .keyFile, network: network, listen: try! Endpoint(host: "127.0.0.1", port: 0), bootstrap: bootstrap,
            session: .init(pingInterval: .milliseconds(200), idleTimeout: .seconds(3)),
            backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(500)), limits: limits, greetPeers: greet)
    }

    static let testNetwork = try! NetworkID("it-net")

    /// Gossip quick enough for a test to watch: a probe every 300 ms (half of it to answer),
    /// gossip rounds of 50 ms, push-pull every second.
    static func fastGossip(_ configuration: inout NodeConfiguration) {
        configuration.membership.probeInterval = 300
        configuration.membership.probeTimeout = 150
        configuration.membership.gossipInterval = 50
        configuration.membership.pushPullInterval = 1000
        configuration.membership.deadRetention = 60_000
        configuration.dissemination.gossipInterval = 50
        configuration.dissemination.pushPullInterval = 1000
    }

    /// Runs `nodes` for the duration of `body`; each node is bound before `body` starts.
    static func run<R: Sendable>(_ nodes: [Node], _ body: @Sendable () async throws -> R) async throws -> R {
        for node in nodes { try await node.bind() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { try await node.run() } }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    static func address(_ node: Node) async -> Endpoint {
        await node.listeningAddress!
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(
        _ what: String, timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Timeout(what: what, after: timeout)
    }

    struct Timeout: Error, CustomStringConvertible {
        let what: String
        let after: Duration
        var description: String { "timed out after \(after) waiting for: \(what)" }
    }

    static func peers(of node: Node) async -> Set<NodeID> {
        Set(await node.status().sessions.map(\.peer))
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oms-it-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A hand-driven client connection, for peers that misbehave on purpose.
struct RawConnection: ~Copyable {
    let channel: any Channel
    var messages: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator

    /// The next Noise message from the node, or nil once it closed the connection.
    mutating func receive() async throws -> [UInt8]? {
        guard let buffer = try await messages.next() else { return nil }
        return Array(buffer.readableBytesView)
    }

    func send(_ message: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: message))
    }

    /// Sends raw bytes straight to the socket, bypassing the 2-byte Noise length prefix.
    func sendUnframed(_ bytes: [UInt8]) async throws {
        try await channel.pipeline.context(handlerType: MessageToByteHandler<NoiseMessageEncoder>.self).flatMap { context in
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: bytes)))
        }.get()
    }

    /// Runs the initiator's side of the OMS handshake.
    mutating func handshake(_ identity: HandshakeIdentity, network: NetworkID) async throws -> SecureSession {
        var handshake = NodeHandshake(role: .initiator, identity: identity, network: network)
        try await send(try handshake.start())
        while let message = try await receive() {
            switch try handshake.receive(message) {
            case .send(let reply):
                try await send(reply)
            case .sendAndEstablish(let reply, let session):
                try await send(reply)
                return session
            case .establish(let session):
                return session
            }
        }
        throw HandshakeError(.closedByPeer, "closed during the handshake")
    }

    /// Reads until the node closes the connection, decrypting with `session` when given;
    /// returns the frames that could be read.
    mutating func drain(_ session: inout SecureSession?) async throws -> [WireFrame] {
        var frames: [WireFrame] = []
        while let message = try await receive() {
            guard var s = session else { continue }
            for case .frame(let frame) in (try? s.open(message)) ?? [] { frames.append(frame) }
            session = s
        }
        return frames
    }

    static func with<R>(
        _ endpoint: Endpoint, _ body: (inout RawConnection) async throws -> R
    ) async throws -> R {
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addNoiseMessageCodec()
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await connection.executeThenClose { inbound, _ in
            var raw = RawConnection(channel: connection.channel, messages: inbound.makeAsyncIterator())
            return try await body(&raw)
        }
    }
}

extension WireFrame {
    var errorCode: WireErrorCode? {
        if case .error(let error)? = body { return error.code }
        return nil
    }
}

extension SecureSession {
    /// Encrypts raw stream bytes as one transport message, bypassing frame encoding: the only
    /// way to put a lying length prefix or non-protobuf bytes on the wire.
    mutating func sealRaw(_ plaintext: [UInt8]) throws -> [UInt8] {
        try transport.encrypt(plaintext)
    }
}
