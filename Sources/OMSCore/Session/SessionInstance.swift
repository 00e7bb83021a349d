import OMSProtocol

/// The life of one authenticated peer session after the Noise handshake: the Hello exchange,
/// keep-alive pings with RTT, the idle time-out, peer exchange and typed refusals.
///
/// Instance and directive (HANDBOOK.md): the shell feeds it frames and clock ticks and carries
/// out the directives it returns; it does no I/O and reads no clock of its own.
///
/// Rules (protocol-spec/README.md, "Session"):
/// - Each side MUST send Hello first. Any other frame before the peer's Hello is a protocol
///   violation: the session is refused with ERROR_CODE_PROTOCOL_VIOLATION and closed.
/// - A Ping MUST be answered with a Pong carrying the same nonce.
/// - A session with no frame received for `idleTimeout` is closed; pings every `pingInterval`
///   keep a healthy one busy.
/// - A frame kind the receiver does not know gets ERROR_CODE_UNKNOWN_FRAME and the session
///   stays open; malformed or oversized frames get an error and the session is closed.
public struct SessionInstance: Sendable {
    public struct Settings: Sendable, Hashable {
        public var pingInterval: Duration
        public var idleTimeout: Duration
        /// Unknown frames tolerated before the peer is treated as broken.
        public var maximumUnknownFrames: Int

        public init(pingInterval: Duration = .seconds(5), idleTimeout: Duration = .seconds(20), maximumUnknownFrames: Int = 16) {
            self.pingInterval = pingInterval
            self.idleTimeout = idleTimeout
            self.maximumUnknownFrames = maximumUnknownFrames
        }
    }

    public enum Directive: Sendable, Equatable {
        case send(WireFrame)
        /// The peer's Hello arrived: the session is now usable.
        case established(PeerHello)
        case learnedPeers([PeerAdvert])
        case receivedNote(Envelope)
        /// A query's envelope bytes, to be answered with a `QueryResponse` carrying `requestID`.
        /// The node checks the envelope (`QueryVerifier`): the session only carries it.
        case receivedQuery(requestID: UInt64, envelope: [UInt8])
        /// What came back for a query this side sent with `requestID`.
        case receivedAnswer(requestID: UInt64, envelope: [UInt8])
        /// A request the node answers with one frame carrying its request id (a community's
        /// describe, sync or push, protocol-spec §15).
        case receivedRequest(WireFrame)
        /// The answer to a request this side sent: its request id says which.
        case receivedResponse(WireFrame)
        /// Membership, announcements or a digest (protocol-spec §17): for the node's gossip.
        case receivedGossip(WireFrame)
        case rttMeasured(Duration)
        /// The peer sent an Error frame: for the logs (fatal ones are followed by `.close`), and
        /// for the request it answers, when its request id is one (a query refused unread).
        case peerReportedError(WireError, requestID: UInt64)
        /// Send this frame (if any), then close: the reason is for logs and metrics.
        case close(reason: CloseReason, farewell: WireFrame?)
    }

    public struct PeerHello: Sendable, Equatable {
        public var agent: String
        public var listenAddress: Endpoint?
    }

    public struct PeerAdvert: Sendable, Equatable, Hashable {
        public var nodeID: NodeID
        public var endpoint: Endpoint

        public init(nodeID: NodeID, endpoint: Endpoint) {
            self.nodeID = nodeID
            self.endpoint = endpoint
        }
    }

    public enum CloseReason: String, Sendable, Equatable {
        case idleTimeout = "idle-timeout"
        case protocolViolation = "protocol-violation"
        case malformedFrame = "malformed-frame"
        case frameTooLarge = "frame-too-large"
        case tooManyUnknownFrames = "too-many-unknown-frames"
        case peerError = "peer-error"
    }

    public let settings: Settings
    public let peer: NodeID
    public private(set) var rtt = RTTEstimator()
    public private(set) var peerHello: PeerHello?
    private var lastReceived: ContinuousClock.Instant
    private var nextPing: ContinuousClock.Instant
    private var outstandingPings: [UInt64: ContinuousClock.Instant] = [:]
    private var unknownFrames = 0
    private var closed = false

    public init(peer: NodeID, settings: Settings, now: ContinuousClock.Instant) {
        self.peer = peer
        self.settings = settings
        lastReceived = now
        nextPing = now + settings.pingInterval
    }

    /// The Hello this side sends first.
    public static func hello(agent: String, listenAddress: Endpoint?, wallClockMilliseconds: UInt64) -> WireFrame {
        var frame = WireFrame()
        frame.hello = .with {
            $0.agent = agent
            $0.listenAddress = listenAddress?.description ?? ""
            $0.sentAtUnixMs = wallClockMilliseconds
        }
        return frame
    }

    public static func errorFrame(_ code: WireErrorCode, _ message: String, requestID: UInt64 = 0) -> WireFrame {
        var frame = WireFrame()
        frame.requestID = requestID
        frame.error = .with {
            $0.code = code
            $0.message = message
        }
        return frame
    }

    public var isEstablished: Bool { peerHello != nil }

    /// A decoded frame arrived.
    public mutating func onFrame(_ frame: WireFrame, now: ContinuousClock.Instant) -> [Directive] {
        guard !closed else { return [] }
        lastReceived = now
        guard let body = frame.body else { return onUnknownFrame(requestID: frame.requestID) }
        if peerHello == nil {
            if case .error(let error) = body {
                // A peer may refuse us (busy, duplicate, shutting down) before saying Hello.
                return onError(error, requestID: frame.requestID)
            }
            guard case .hello(let hello) = body else {
                return close(.protocolViolation, .protocolViolation, "the first frame of a session must be Hello")
            }
            let listen = hello.listenAddress.isEmpty ? nil : try? Endpoint(parsing: hello.listenAddress)
            let parsed = PeerHello(agent: hello.agent.printable(limit: 64), listenAddress: listen)
            peerHello = parsed
            return [.established(parsed)]
        }
        switch body {
        case .hello:
            return close(.protocolViolation, .protocolViolation, "Hello sent twice")
        case .ping(let ping):
            var pong = WireFrame()
            pong.requestID = frame.requestID
            pong.pong = .with { $0.nonce = ping.nonce }
            return [.send(pong)]
        case .pong(let pong):
            guard let sent = outstandingPings.removeValue(forKey: pong.nonce) else { return [] }
            let sample = now - sent
            rtt.add(sample)
            return [.rttMeasured(sample)]
        case .error(let error):
            return onError(error, requestID: frame.requestID)
        case .peers(let list):
            let adverts = list.peers.prefix(PeerExchange.maximumEntries).compactMap { p -> PeerAdvert? in
                guard let id = try? NodeID(bytes: Array(p.identityKey)), id != peer,
                    let endpoint = try? Endpoint(parsing: p.address)
                else { return nil }
                return PeerAdvert(nodeID: id, endpoint: endpoint)
            }
            return adverts.isEmpty ? [] : [.learnedPeers(adverts)]
        case .note(let note):
            do {
                let envelope = try Envelope.open(Array(note.envelope), expecting: .note)
                return [.receivedNote(envelope)]
            } catch {
                return [.send(Self.errorFrame(.badSignature, error.description, requestID: frame.requestID))]
            }
        case .query(let query):
            return [.receivedQuery(requestID: frame.requestID, envelope: Array(query.envelope))]
        case .answer(let answer):
            return [.receivedAnswer(requestID: frame.requestID, envelope: Array(answer.envelope))]
        case .communityDescribe, .communitySync, .communityPush, .communityQuestion, .communityKeptRequest,
            .migrationOffer, .migrationBegin, .migrationChunk, .migrationCommit:
            return [.receivedRequest(frame)]
        case .communityDescription, .communityEvents, .communityAck, .communityKept,
            .migrationAttestation, .migrationAck, .migrationReceipt:
            return [.receivedResponse(frame)]
        case .membership, .announcements, .digest:
            return [.receivedGossip(frame)]
        }
    }

    /// A frame of a kind this node does not serve: refused, and counted against the limit.
    private mutating func onUnknownFrame(requestID: UInt64) -> [Directive] {
        unknownFrames += 1
        if unknownFrames > settings.maximumUnknownFrames {
            return close(.tooManyUnknownFrames, .protocolViolation, "more than \(settings.maximumUnknownFrames) unknown frames")
        }
        return [.send(Self.errorFrame(.unknownFrame, "frame kind not known to this node", requestID: requestID))]
    }

    /// Error codes after which the sender closes, so this side closes too.
    static let fatalErrorCodes: Set<WireErrorCode> = [
        .malformedFrame, .frameTooLarge, .protocolViolation, .duplicateSession, .shuttingDown, .tooManyConnections,
    ]

    private mutating func onError(_ error: WireError, requestID: UInt64) -> [Directive] {
        var reported = error
        reported.message = error.message.printable(limit: 200)
        guard Self.fatalErrorCodes.contains(error.code) else { return [.peerReportedError(reported, requestID: requestID)] }
        closed = true
        return [.peerReportedError(reported, requestID: requestID), .close(reason: .peerError, farewell: nil)]
    }

    /// The shell could not decode a frame (bytes that are not a `Frame`).
    public mutating func onMalformedFrame(_ detail: String) -> [Directive] {
        guard !closed else { return [] }
        return close(.malformedFrame, .malformedFrame, "frame could not be decoded: \(detail)")
    }

    /// The framing layer refused a length prefix over the limit.
    public mutating func onOversizedFrame(_ detail: String) -> [Directive] {
        guard !closed else { return [] }
        return close(.frameTooLarge, .frameTooLarge, detail)
    }

    /// A clock tick: sends a ping when one is due, closes an idle session.
    public mutating func onTick(now: ContinuousClock.Instant, nonce: UInt64) -> [Directive] {
        guard !closed else { return [] }
        if now - lastReceived >= settings.idleTimeout {
            closed = true
            return [.close(reason: .idleTimeout, farewell: nil)]
        }
        guard isEstablished, now >= nextPing else { return [] }
        nextPing = now + settings.pingInterval
        // Old pings that never got a pong are forgotten; idleTimeout is what ends a dead peer.
        outstandingPings = outstandingPings.filter { now - $0.value < settings.idleTimeout }
        outstandingPings[nonce] = now
        var ping = WireFrame()
        ping.ping = .with { $0.nonce = nonce }
        return [.send(ping)]
    }

    /// When the shell should tick next. Before the peer's Hello no ping is due, so only the
    /// idle time-out counts (a deadline in the past would make the shell spin).
    public var nextDeadline: ContinuousClock.Instant {
        isEstablished ? min(nextPing, lastReceived + settings.idleTimeout) : lastReceived + settings.idleTimeout
    }

    private mutating func close(_ reason: CloseReason, _ code: WireErrorCode, _ message: String) -> [Directive] {
        closed = true
        return [.close(reason: reason, farewell: Self.errorFrame(code, message))]
    }
}
