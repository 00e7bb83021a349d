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
    /// when there is no session with the peer or nothing comes back within `timeout`. A query
    /// is a request like any other (`request(_:to:timeout:)`), answered by a `QueryResponse`.
    public func ask(_ query: [UInt8], to peer: NodeID, timeout: Duration) async throws -> [UInt8] {
        var frame = WireFrame()
        frame.query = .with { $0.envelope = Data(query) }
        let reply: WireFrame
        do {
            reply = try await request(frame, to: peer, timeout: timeout)
        } catch let error as RequestError {
            throw QueryDeliveryError(description: error.description)
        }
        guard case .answer(let response)? = reply.body else {
            throw QueryDeliveryError(description: "node \(peer.short) answered a query with another frame")
        }
        return Array(response.envelope)
    }

    /// A `QueryResponse`, as the session reports it, answers a request like any response.
    func receivedAnswer(_ envelope: [UInt8], requestID: UInt64, from peer: NodeID) {
        var frame = WireFrame()
        frame.requestID = requestID
        frame.answer = .with { $0.envelope = Data(envelope) }
        receivedResponse(frame, from: peer)
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
