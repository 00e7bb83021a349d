import Foundation
import OMSCore
import OMSProtocol

/// Answers a query's envelope bytes with an answer's or refusal's envelope bytes. The node
/// carries the frames; the `Exchange` of the node's TCF host decides what goes back.
public typealias QueryResponder = @Sendable (_ query: [UInt8], _ from: NodeID) async -> [UInt8]

/// Why a query sent to a peer got no `QueryResponse`.
public struct QueryDeliveryError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

struct PendingQuery {
    let peer: NodeID
    let continuation: CheckedContinuation<[UInt8], any Error>
    /// Gives up when the query expires; cancelled when something comes back first.
    var timeout: Task<Void, Never>?
}

/// The personal-data exchange's frames (protocol-spec §13, "Frames and audit"): a
/// `QueryRequest` is answered with exactly one `QueryResponse` carrying its request id; a
/// query sent waits for its response until it expires.
extension Node {
    /// At most this many of one peer's queries are answered at once; more are refused with
    /// `ERROR_CODE_RATE_LIMITED`, so that one peer cannot queue unbounded work here.
    static let maximumQueriesInFlightPerPeer = 16

    /// Starts answering queries with `responder`.
    public func serveQueries(_ responder: @escaping QueryResponder) {
        queryResponder = responder
    }

    /// Sends a query's envelope to `peer` and returns the envelope that comes back, or throws
    /// when there is no session with the peer or nothing comes back within `timeout`.
    public func ask(_ query: [UInt8], to peer: NodeID, timeout: Duration) async throws -> [UInt8] {
        guard let session = sessions[peer], await session.isEstablished else {
            throw QueryDeliveryError(description: "no session with node \(peer.short): add it with 'oms peer add' and wait until it is connected")
        }
        let requestID = nextRequestID()
        var frame = WireFrame()
        frame.requestID = requestID
        frame.query = .with { $0.envelope = Data(query) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pendingQueries[requestID] = PendingQuery(peer: peer, continuation: continuation)
                pendingQueries[requestID]?.timeout = Task {
                    await session.send([frame])
                    try? await Task.sleep(for: timeout)
                    self.failQuery(requestID, from: peer, because: "node \(peer.short) did not answer within \(timeout)")
                }
            }
        } onCancel: {
            Task { await self.failQuery(requestID, from: peer, because: "the question was withdrawn") }
        }
    }

    /// Ends a query with an error: the peer refused its frame, the session closed, it expired.
    func failQuery(_ requestID: UInt64, from peer: NodeID, because reason: String) {
        guard let pending = pendingQueries[requestID], pending.peer == peer else { return }
        pendingQueries[requestID] = nil
        pending.timeout?.cancel()
        pending.continuation.resume(throwing: QueryDeliveryError(description: reason))
    }

    func failQueries(to peer: NodeID, because reason: String) {
        for (requestID, pending) in pendingQueries where pending.peer == peer { failQuery(requestID, from: peer, because: reason) }
    }

    func receivedAnswer(_ envelope: [UInt8], requestID: UInt64, from peer: NodeID) {
        if pendingQueries[requestID] == nil, pendingRequests[requestID] != nil {
            // The answer to a community's question, sent as a request (protocol-spec §15).
            var frame = WireFrame()
            frame.requestID = requestID
            frame.answer = .with { $0.envelope = Data(envelope) }
            return receivedResponse(frame, from: peer)
        }
        // Only the peer asked may answer; anything else is ignored, as the spec says.
        guard let pending = pendingQueries[requestID], pending.peer == peer else {
            logger.debug("ignoring a query response for no outstanding query", metadata: ["node/peer": "\(peer.short)"])
            return
        }
        pendingQueries[requestID] = nil
        pending.timeout?.cancel()
        pending.continuation.resume(returning: envelope)
    }

    func receivedQuery(_ envelope: [UInt8], requestID: UInt64, from session: PeerSession) {
        let peer = session.remote
        guard let responder = queryResponder else {
            Task { await session.send([SessionInstance.errorFrame(.unknownFrame, "this node does not answer queries", requestID: requestID)]) }
            return
        }
        guard queriesInFlight[peer, default: 0] < Self.maximumQueriesInFlightPerPeer else {
            metrics.queriesRefused.increment()
            Task {
                await session.send([
                    SessionInstance.errorFrame(
                        .rateLimited, "more than \(Self.maximumQueriesInFlightPerPeer) of your queries are being answered; wait for them",
                        requestID: requestID)
                ])
            }
            return
        }
        queriesInFlight[peer, default: 0] += 1
        metrics.queriesReceived.increment()
        Task {
            let reply = await responder(envelope, peer)
            var frame = WireFrame()
            frame.requestID = requestID
            frame.answer = .with { $0.envelope = Data(reply) }
            await session.send([frame])
            self.finishedQuery(from: peer)
        }
    }

    func finishedQuery(from peer: NodeID) {
        queriesInFlight[peer, default: 1] -= 1
        if queriesInFlight[peer] == 0 { queriesInFlight[peer] = nil }
    }
}
