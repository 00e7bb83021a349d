import Foundation
import Logging
import NIOCore
import NIOPosix
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// A running OMS node: it listens, dials its peers, keeps one authenticated session per peer,
/// and drives each session's `SessionInstance`. This actor is the I/O shell; the protocol
/// decisions live in OMSProtocol and OMSCore.
///
/// Lifecycle: `bind()` (optional, to learn the port early), then `run()` until cancelled.
/// Cancelling `run()` says goodbye to every peer (ERROR_CODE_SHUTTING_DOWN) and closes
/// every socket before it returns.
public actor Node {
    public nonisolated let id: NodeID
    let configuration: NodeConfiguration
    public nonisolated let store: NodeStore?
    let logger: Logger
    let metrics = NodeMetrics()
    let handshakeIdentity: HandshakeIdentity
    let eventLoopGroup: any EventLoopGroup
    let startedAt = Date()

    var server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>?
    var boundAddress: Endpoint?
    var sessions: [NodeID: PeerSession] = [:]
    var pendingHandshakes: [String: Int] = [:]
    var dialTargets: [Endpoint: DialTarget] = [:]
    var recentNotes: [NoteRecord] = []
    /// Answers the queries peers send (`serveQueries`); without one they are unknown frames.
    var queryResponder: QueryResponder?
    var queriesInFlight: [NodeID: Int] = [:]
    var lastRequestID: UInt64 = 0
    /// Answers the requests of protocol-spec §15 (`serveRequests`); without one they are unknown.
    var requestHandler: RequestHandler?
    var requestsInFlight: [NodeID: Int] = [:]
    /// Requests this node sent (`request(_:to:timeout:)`), by request id.
    var pendingRequests: [UInt64: PendingRequest] = [:]
    /// Dial requests for `run()`'s task group, which owns every dial loop.
    let dialRequests: AsyncStream<Endpoint>
    let dialRequestSink: AsyncStream<Endpoint>.Continuation
    var dialGenerations: UInt64 = 0
    /// SWIM membership and manifest dissemination (Node+Gossip.swift).
    var gossip: NodeGossip
    /// Peers with an established session: where gossip can go now.
    var gossipPeers: Set<NodeID> = []
    let gossipEpoch = ContinuousClock.now

    struct DialTarget {
        /// The node last seen at this address.
        var nodeID: NodeID?
        /// The node a peer advertised at this address: no other is accepted there.
        var expected: NodeID?
        /// Heard of from a peer rather than configured: capped in number, forgotten when dead.
        var learned = false
        /// Which dial loop owns this target: a loop whose generation is no longer the target's
        /// (the peer was removed and added again) ends.
        var generation: UInt64 = 0
        var state: DialStatus.State = .waiting
        var failures = 0
        var lastError: String?
    }

    public init(
        configuration: NodeConfiguration, store: NodeStore?, logger: Logger = Logger(label: "oms.node"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.store = store
        self.eventLoopGroup = eventLoopGroup
        handshakeIdentity = HandshakeIdentity(identity: configuration.identity, trust: configuration.trust)
        id = handshakeIdentity.nodeID
        var logger = logger
        logger[metadataKey: "node/id"] = "\(handshakeIdentity.nodeID.short)"
        self.logger = logger
        (dialRequests, dialRequestSink) = AsyncStream.makeStream(of: Endpoint.self)
        gossip = NodeGossip(configuration: configuration, myself: handshakeIdentity.nodeID, reserved: (try? store?.reservedIncarnation()) ?? 0)
    }

    /// Where the node accepts connections, once bound.
    public var listeningAddress: Endpoint? { boundAddress }

    /// The address peers are told to dial.
    var advertisedAddress: Endpoint? {
        if let advertise = configuration.advertise { return advertise }
        guard let bound = boundAddress, bound.host != "0.0.0.0", bound.host != "::" else { return nil }
        return bound
    }

    // MARK: Running

    public func run() async throws {
        try await bind()
        for endpoint in configuration.bootstrap { _ = try? store?.addPeer(endpoint, source: .configured) }
        for endpoint in configuration.bootstrap { requestDial(endpoint) }
        for peer in (try? store?.peers()) ?? [] {
            requestDial(peer.endpoint, learnedAs: peer.source == .learned ? peer.nodeID : nil)
        }
        logger.info(
            "node running",
            metadata: [
                "node/network": "\(configuration.network)", "node/listen": "\(boundAddress?.description ?? "-")",
                "node/peers": "\(dialTargets.count)",
            ])
        defer { dialRequestSink.finish() }
        await withDiscardingTaskGroup { group in
            if let server {
                group.addTask { await self.acceptLoop(server) }
            }
            group.addTask { await self.gossipLoop() }
            for await endpoint in dialRequests {
                group.addTask { await self.dialLoop(endpoint) }
            }
            // Cancelled: the group cancels every connection task, each of which says goodbye.
        }
        server = nil
        logger.info("node stopped")
    }

    // MARK: Control (used by the owner API and tests)

    public func status() async -> NodeStatus {
        var sessionStatuses: [SessionStatus] = []
        // Only sessions whose peer has said Hello count: before that they carry nothing.
        for session in sessions.values where await session.isEstablished {
            sessionStatuses.append(await session.status())
        }
        sessionStatuses.sort { $0.peer.description < $1.peer.description }
        let dialing = dialTargets.map { endpoint, target in
            DialStatus(endpoint: endpoint, nodeID: target.nodeID, state: target.state, failures: target.failures, lastError: target.lastError)
        }.sorted { $0.endpoint.description < $1.endpoint.description }
        return NodeStatus(
            nodeID: id, network: configuration.network, trust: configuration.trust, agent: configuration.agent, listen: boundAddress,
            advertise: advertisedAddress, startedAt: startedAt, uptimeSeconds: Date().timeIntervalSince(startedAt),
            sessions: sessionStatuses, dialing: dialing, recentNotes: recentNotes, membership: membershipStatus())
    }

    /// Starts dialling `endpoint` and remembers it as configured by the owner.
    public func addPeer(_ endpoint: Endpoint) throws {
        try store?.addPeer(endpoint, source: .configured)
        // An address the owner names is kept however often it fails, even if a peer named it first.
        dialTargets[endpoint]?.learned = false
        dialTargets[endpoint]?.expected = nil
        requestDial(endpoint)
    }

    /// Stops dialling `endpoint`, forgets it, and closes a session that came from dialling it.
    public func removePeer(_ endpoint: Endpoint) async throws -> Bool {
        let removed = try store?.removePeer(endpoint) ?? false
        let target = dialTargets.removeValue(forKey: endpoint)
        if let nodeID = target?.nodeID, let session = sessions[nodeID], session.dialled == endpoint {
            await session.close(reason: "peer-removed", farewell: nil)
        }
        return removed || target != nil
    }

    /// Signs `text` as an `oms/note` envelope and sends it to `peer`, or to every peer.
    @discardableResult
    public func sendNote(_ text: String, to peer: NodeID? = nil) async -> [NodeID] {
        let envelope = Envelope.sign(type: .note, payload: Array(text.utf8), with: configuration.identity)
        var frame = WireFrame()
        frame.note = .with { $0.envelope = .init(envelope.bytes) }
        var recipients: [NodeID] = []
        for (nodeID, session) in sessions where peer == nil || peer == nodeID {
            guard await session.isEstablished else { continue }
            await session.send([frame])
            recipients.append(nodeID)
        }
        return recipients
    }

    // MARK: Sessions

    /// Admits an authenticated session, or refuses it (duplicate, over the limit). A session with
    /// this node itself never gets here: the handshake refuses it.
    func register(
        _ secure: SecureSession, channel: any Channel, direction: SessionArbiter.Direction, dialled: Endpoint?
    ) async -> PeerSession? {
        let remote = secure.remote
        if let dialled, dialTargets[dialled] != nil {
            dialTargets[dialled]?.nodeID = remote
            dialTargets[dialled]?.state = .connected
            try? store?.recordConnected(dialled, nodeID: remote)
        }
        let session = PeerSession(
            secure: secure, channel: channel, direction: direction, dialled: dialled, settings: configuration.session,
            metrics: metrics)
        // Decide and update `sessions` with no suspension in between, so that two sessions with
        // the same peer admitted at once cannot both win; say goodbye to the loser afterwards.
        var replaced: PeerSession?
        if isBanned(remote) {
            await session.close(
                reason: "banned", farewell: SessionInstance.errorFrame(.protocolViolation, "this node ignores you for a while: invalid gossip"))
            return nil
        }
        if let existing = sessions[remote] {
            guard SessionArbiter.keepNew(local: id, remote: remote, existingDirection: existing.direction, newDirection: direction)
            else {
                await session.close(reason: "duplicate", farewell: Self.duplicateFarewell)
                return nil
            }
            replaced = existing
        } else if sessions.count >= configuration.limits.maximumSessions {
            metrics.refusedConnections.increment()
            await session.close(
                reason: "too-many-sessions",
                farewell: SessionInstance.errorFrame(.tooManyConnections, "this node is at its session limit; try later"))
            return nil
        }
        sessions[remote] = session
        metrics.sessions.record(sessions.count)
        await replaced?.close(reason: "duplicate", farewell: Self.duplicateFarewell)
        let hello = SessionInstance.hello(
            agent: configuration.agent, listenAddress: advertisedAddress,
            wallClockMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
        await session.send([hello])
        return session
    }

    static let duplicateFarewell = SessionInstance.errorFrame(.duplicateSession, "a session with this node already exists")

    func unregister(_ session: PeerSession) async {
        guard sessions[session.remote] === session else { return }
        sessions[session.remote] = nil
        metrics.sessions.record(sessions.count)
        gossipSessionClosed(session.remote)
        failRequests(to: session.remote)
        let reason = await session.closeReason ?? "connection-lost"
        logger.info("session closed", metadata: ["node/peer": "\(session.remote.short)", "node/reason": "\(reason)"])
    }

    /// Carries out the directives that need the whole node.
    func handle(_ directives: [SessionInstance.Directive], from session: PeerSession) async {
        for directive in directives {
            switch directive {
            case .established(let hello):
                await established(session, hello: hello)
            case .learnedPeers(let adverts):
                for advert in adverts where advert.nodeID != id && sessions[advert.nodeID] == nil {
                    guard dialTargets[advert.endpoint] == nil else { continue }
                    let learned = dialTargets.values.filter(\.learned).count
                    guard learned < configuration.limits.maximumLearnedPeers else {
                        logger.debug("ignoring a learned peer: at the limit", metadata: ["node/address": "\(advert.endpoint)"])
                        break
                    }
                    _ = try? store?.addPeer(advert.endpoint, source: .learned, nodeID: advert.nodeID)
                    logger.debug("learned a peer", metadata: ["node/peer": "\(advert.nodeID.short)", "node/address": "\(advert.endpoint)"])
                    requestDial(advert.endpoint, learnedAs: advert.nodeID)
                }
            case .receivedNote(let envelope):
                // Kept and shown as printable text, at most 1,000 scalars: the bytes stay verifiable
                // under the object id, but a peer does not get to fill our memory or terminal.
                let note = NoteRecord(
                    from: NodeID(publicKey: envelope.signer),
                    text: String(decoding: envelope.payload, as: UTF8.self).printable(limit: 1000),
                    objectID: envelope.id, receivedAt: Date())
                recentNotes.append(note)
                if recentNotes.count > 32 { recentNotes.removeFirst(recentNotes.count - 32) }
                logger.info(
                    "note received",
                    metadata: [
                        "node/peer": "\(session.remote.short)", "note/signer": "\(note.from.short)", "note/id": "\(note.objectID.short)",
                        "note/text": "\(note.text.printable(limit: 200))",
                    ])
            case .receivedQuery(let requestID, let envelope):
                receivedQuery(envelope, requestID: requestID, from: session)
            case .receivedAnswer(let requestID, let envelope):
                receivedAnswer(envelope, requestID: requestID, from: session.remote)
            case .receivedRequest(let frame):
                receivedRequest(frame, from: session)
            case .receivedResponse(let frame):
                receivedResponse(frame, from: session.remote)
            case .receivedGossip(let frame):
                receivedGossip(frame, from: session)
            case .peerReportedError(let error, let requestID):
                failRequest(requestID, from: session.remote, with: RequestError(peer: session.remote, code: error.code, message: error.message))
                logger.notice(
                    "peer reported an error",
                    metadata: ["node/peer": "\(session.remote.short)", "wire/error-code": "\(error.code)", "wire/error": "\(error.message)"])
            case .rttMeasured, .send, .close:
                break
            }
        }
    }

    private func established(_ session: PeerSession, hello: SessionInstance.PeerHello) async {
        if let dialled = session.dialled {
            // Only a session past Hello clears the failures: a refusal after the handshake is one.
            dialTargets[dialled]?.failures = 0
            dialTargets[dialled]?.lastError = nil
        }
        logger.info(
            "session established",
            metadata: [
                "node/peer": "\(session.remote.short)", "node/direction": "\(session.direction.rawValue)",
                "node/peer-address": "\(session.remoteAddress)", "node/agent": "\(hello.agent)",
            ])
        gossipSessionEstablished(session.remote)
        // Tell the newcomer whom we know, and everyone else about the newcomer.
        var known: [SessionInstance.PeerAdvert] = []
        for (nodeID, other) in sessions where other !== session {
            // Only sessions past Hello: their listen address is known, and ours has been sent.
            guard let address = await other.peerHello?.listenAddress else { continue }
            known.append(.init(nodeID: nodeID, endpoint: address))
        }
        if let introduction = PeerExchange.introduction(to: session.remote, of: known) {
            await session.send([introduction])
        }
        if let address = hello.listenAddress {
            let announcement = PeerExchange.announcement(of: .init(nodeID: session.remote, endpoint: address))
            for other in sessions.values where other !== session {
                // A session not yet past Hello must not see a PeerList before our Hello.
                if await other.isEstablished { await other.send([announcement]) }
            }
        }
        if configuration.greetPeers {
            await sendNote("hello from \(id.short), signed at \(ISO8601DateFormatter().string(from: Date()))", to: session.remote)
        }
    }

    /// Starts dialling `endpoint` unless it is ours or already dialled. `learnedAs` is the node
    /// a peer said answers there (or nil for an address the owner configured).
    func requestDial(_ endpoint: Endpoint, learnedAs advertised: NodeID? = nil) {
        if endpoint == boundAddress || endpoint == advertisedAddress { return }
        guard dialTargets[endpoint] == nil else { return }
        dialGenerations += 1
        dialTargets[endpoint] = DialTarget(
            nodeID: advertised, expected: advertised, learned: advertised != nil, generation: dialGenerations)
        dialRequestSink.yield(endpoint)
    }
}
