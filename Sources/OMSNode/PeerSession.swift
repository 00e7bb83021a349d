import Foundation
import NIOCore
import OMSCore
import OMSCrypto
import OMSProtocol

/// The shell around one authenticated connection: it owns the session's cipher state and its
/// `SessionInstance`, turns bytes into frames and directives, and carries out the directives
/// that concern only this connection (send, close). The rest goes back to the `Node`.
///
/// Encryption and the write that follows happen in one actor turn with no suspension between
/// them, so Noise nonces reach the socket in order.
actor PeerSession {
    nonisolated let remote: NodeID
    nonisolated let direction: SessionArbiter.Direction
    nonisolated let remoteAddress: String
    nonisolated let dialled: Endpoint?
    nonisolated let establishedAt = Date()

    private let channel: any Channel
    private var secure: SecureSession
    private var instance: SessionInstance
    private let metrics: NodeMetrics
    private(set) var closeReason: String?
    private var bytesIn: UInt64 = 0
    private var bytesOut: UInt64 = 0
    private var framesIn: UInt64 = 0
    private var framesOut: UInt64 = 0
    /// Bytes handed to NIO since the socket last had room; see `maximumQueuedBytes`.
    private var queuedWhileBlocked = 0
    /// A running `Node.benchmarkPingPong` (Node+Benchmarks.swift); nil otherwise.
    var pingProbe: PingProbe?

    init(
        secure: SecureSession, channel: any Channel, direction: SessionArbiter.Direction, dialled: Endpoint?,
        settings: SessionInstance.Settings, metrics: NodeMetrics
    ) {
        remote = secure.remote
        self.secure = secure
        self.channel = channel
        self.direction = direction
        self.dialled = dialled
        self.metrics = metrics
        remoteAddress = channel.remoteAddress.map(Self.describe) ?? "?"
        instance = SessionInstance(peer: secure.remote, settings: settings, now: .now)
    }

    var isClosed: Bool { closeReason != nil }
    var isEstablished: Bool { instance.isEstablished }
    var peerHello: SessionInstance.PeerHello? { instance.peerHello }
    var nextDeadline: ContinuousClock.Instant { instance.nextDeadline }

    /// One Noise message from the peer.
    func receive(_ message: ByteBuffer) -> [SessionInstance.Directive] {
        guard !isClosed else { return [] }
        bytesIn += UInt64(message.readableBytes) + 2
        metrics.bytesReceived.increment(by: message.readableBytes + 2)
        let inbound: [SecureSession.Inbound]
        do {
            inbound = try secure.open(Array(message.readableBytesView))
        } catch let error as FramingError {
            metrics.protocolError("frame-too-large")
            return carryOut(instance.onOversizedFrame(error.context))
        } catch {
            // A message that does not decrypt: the stream is broken or forged; nothing we send
            // could be trusted to line up, so close without a farewell.
            metrics.protocolError("decrypt")
            close(reason: "decrypt-failed", farewell: nil)
            return []
        }
        var directives: [SessionInstance.Directive] = []
        for item in inbound {
            framesIn += 1
            metrics.framesReceived.increment()
            switch item {
            case .frame(let frame):
                if pingProbe != nil, case .pong(let pong)? = frame.body { probeReceivedPong(nonce: pong.nonce) }
                directives += carryOut(instance.onFrame(frame, now: .now))
            case .malformed(let detail):
                metrics.protocolError("malformed-frame")
                directives += carryOut(instance.onMalformedFrame(detail))
            }
            if isClosed { break }
        }
        return directives
    }

    func tick() -> [SessionInstance.Directive] {
        carryOut(instance.onTick(now: .now, nonce: SecureRandom.uint64()))
    }

    /// Sends frames now, in order.
    func send(_ frames: [WireFrame]) {
        guard !isClosed, !frames.isEmpty else { return }
        do {
            let messages = try secure.seal(frames)
            framesOut += UInt64(frames.count)
            metrics.framesSent.increment(by: frames.count)
            let channel = self.channel
            let buffers = messages.map { channel.allocator.buffer(bytes: $0) }
            let size = messages.reduce(0) { $0 + $1.count + 2 }
            if channel.isWritable {
                queuedWhileBlocked = 0
            } else {
                queuedWhileBlocked += size
                if queuedWhileBlocked > Self.maximumQueuedBytes {
                    // A peer that sends but does not read would otherwise grow our buffers forever.
                    metrics.protocolError("peer-not-reading")
                    close(reason: "peer-not-reading", farewell: nil)
                    return
                }
            }
            bytesOut += UInt64(size)
            metrics.bytesSent.increment(by: size)
            channel.eventLoop.execute {
                for buffer in buffers { channel.write(buffer, promise: nil) }
                channel.flush()
            }
        } catch {
            close(reason: "send-failed", farewell: nil)
        }
    }

    /// Sends `farewell` if given, then closes the connection.
    func close(reason: String, farewell: WireFrame?) {
        guard !isClosed else { return }
        if let farewell { send([farewell]) }
        closeReason = reason
        finishPingProbe(NodeError(.noSession, "the session closed (\(reason)) during a ping benchmark"))
        metrics.sessionClosed(reason)
        channel.close(promise: nil)
    }

    func status() -> SessionStatus {
        SessionStatus(
            peer: remote, peerTrust: secure.remoteTrust, direction: direction.rawValue, remoteAddress: remoteAddress,
            peerListenAddress: instance.peerHello?.listenAddress, agent: instance.peerHello?.agent,
            establishedAt: establishedAt,
            latestRTTMilliseconds: instance.rtt.latest.map { $0.seconds * 1000 },
            smoothedRTTMilliseconds: instance.rtt.smoothed.map { $0.seconds * 1000 },
            bytesIn: bytesIn, bytesOut: bytesOut, framesIn: framesIn, framesOut: framesOut)
    }

    /// Does what concerns this connection and returns what concerns the node.
    private func carryOut(_ directives: [SessionInstance.Directive]) -> [SessionInstance.Directive] {
        var forNode: [SessionInstance.Directive] = []
        var outgoing: [WireFrame] = []
        for directive in directives {
            switch directive {
            case .send(let frame):
                outgoing.append(frame)
            case .close(let reason, let farewell):
                send(outgoing)
                outgoing = []
                close(reason: reason.rawValue, farewell: farewell)
            case .rttMeasured(let rtt):
                metrics.roundTrip.recordNanoseconds(Int64(rtt.seconds * 1e9))
                forNode.append(directive)
            default:
                forNode.append(directive)
            }
        }
        send(outgoing)
        return forNode
    }
}

extension PeerSession {
    /// `ip:port` of a socket address, for logs and status.
    static func describe(_ address: SocketAddress) -> String {
        "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    }

    /// Bytes sent while the socket is not writable (the peer is not reading) before the session
    /// is closed: twice the largest frame, so one burst fits but an endless one does not.
    static let maximumQueuedBytes = 2 * SecureSession.defaultMaximumFrameLength
}
