import Foundation
import OMSCore
import OMSProtocol

/// Answers a request frame (protocol-spec §15: a community's describe, sync or push) with the
/// frame that goes back; the node sets its request id.
public typealias RequestHandler = @Sendable (_ request: WireFrame, _ from: NodeID) async -> WireFrame

/// A request sent to a peer that got no answer: refused with an Error frame, not answered in
/// time, or the session went away.
public struct RequestError: Error, CustomStringConvertible, Sendable {
    public let peer: NodeID
    /// The peer's error code when it refused; nil when nothing came back.
    public let code: WireErrorCode?
    public let message: String

    public var description: String {
        code.map { "node \(peer.short) refused: \($0) \(message)" } ?? "node \(peer.short): \(message)"
    }
}

struct PendingRequest {
    let peer: NodeID
    let continuation: CheckedContinuation<WireFrame, any Error>
    var timeout: Task<Void, Never>?
}

/// Request and response over a session (queries, community frames): each request carries a
/// fresh request id and is answered by exactly one frame with that id, or fails with the peer's
/// Error frame, the session's end or the time-out.
extension Node {
    /// At most this many of one peer's requests are served at once; more are refused with
    /// `ERROR_CODE_RATE_LIMITED`.
    static let maximumRequestsInFlightPerPeer = 8

    public func serveRequests(_ handler: @escaping RequestHandler) {
        requestHandler = handler
    }

    func nextRequestID() -> UInt64 {
        lastRequestID &+= 1
        if lastRequestID == 0 { lastRequestID = 1 }
        return lastRequestID
    }

    /// Sends `frame` to `peer` and returns the frame that answers it.
    public func request(_ frame: WireFrame, to peer: NodeID, timeout: Duration = .seconds(10)) async throws -> WireFrame {
        guard let session = sessions[peer], await session.isEstablished else {
            throw RequestError(peer: peer, code: nil, message: "no session with it: add it with 'oms peer add' and wait until it is connected")
        }
        var frame = frame
        let requestID = nextRequestID()
        frame.requestID = requestID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pendingRequests[requestID] = PendingRequest(peer: peer, continuation: continuation)
                pendingRequests[requestID]?.timeout = Task {
                    await session.send([frame])
                    try? await Task.sleep(for: timeout)
                    self.failRequest(requestID, from: peer, with: RequestError(peer: peer, code: nil, message: "no answer within \(timeout)"))
                }
            }
        } onCancel: {
            Task { await self.failRequest(requestID, from: peer, with: RequestError(peer: peer, code: nil, message: "withdrawn")) }
        }
    }

    /// The nodes with an established session now.
    public func connectedPeers() async -> [NodeID] {
        var connected: [NodeID] = []
        for (id, session) in sessions where await session.isEstablished { connected.append(id) }
        return connected
    }

    func failRequest(_ requestID: UInt64, from peer: NodeID, with error: RequestError) {
        guard let pending = pendingRequests[requestID], pending.peer == peer else { return }
        pendingRequests[requestID] = nil
        pending.timeout?.cancel()
        pending.continuation.resume(throwing: error)
    }

    func failRequests(to peer: NodeID) {
        for (requestID, pending) in pendingRequests where pending.peer == peer {
            failRequest(requestID, from: peer, with: RequestError(peer: peer, code: nil, message: "the session closed before it answered"))
        }
    }

    func receivedResponse(_ frame: WireFrame, from peer: NodeID) {
        guard let pending = pendingRequests[frame.requestID], pending.peer == peer else {
            logger.debug("ignoring a response to no outstanding request", metadata: ["node/peer": "\(peer.short)"])
            return
        }
        pendingRequests[frame.requestID] = nil
        pending.timeout?.cancel()
        pending.continuation.resume(returning: frame)
    }

    func receivedRequest(_ frame: WireFrame, from session: PeerSession) {
        let peer = session.remote
        let requestID = frame.requestID
        guard let handler = requestHandler else {
            Task { await session.send([SessionInstance.errorFrame(.unknownFrame, "this node does not serve communities", requestID: requestID)]) }
            return
        }
        // A community's question is a query: it counts against the queries' budget, so that
        // syncs and pushes do not crowd out answers, nor the other way round.
        let isQuestion = if case .communityQuestion? = frame.body { true } else { false }
        let (inFlight, limit) =
            isQuestion
            ? (queriesInFlight[peer, default: 0], Self.maximumQueriesInFlightPerPeer)
            : (requestsInFlight[peer, default: 0], Self.maximumRequestsInFlightPerPeer)
        guard inFlight < limit else {
            if isQuestion { metrics.queriesRefused.increment() }
            Task {
                await session.send([
                    SessionInstance.errorFrame(
                        .rateLimited, "more than \(limit) of your \(isQuestion ? "questions" : "requests") are being served; wait for them",
                        requestID: requestID)
                ])
            }
            return
        }
        if isQuestion {
            queriesInFlight[peer, default: 0] += 1
            metrics.queriesReceived.increment()
        } else {
            requestsInFlight[peer, default: 0] += 1
        }
        Task {
            var reply = await handler(frame, peer)
            reply.requestID = requestID
            await session.send([reply])
            if isQuestion { self.finishedQuery(from: peer) } else { self.finishedRequest(from: peer) }
        }
    }

    private func finishedRequest(from peer: NodeID) {
        requestsInFlight[peer, default: 1] -= 1
        if requestsInFlight[peer] == 0 { requestsInFlight[peer] = nil }
    }
}
