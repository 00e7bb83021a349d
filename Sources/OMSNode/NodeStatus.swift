import Foundation
import OMSProtocol

/// A snapshot of a running node, as `oms node status` shows it.
public struct NodeStatus: Codable, Sendable {
    public var nodeID: NodeID
    public var network: NetworkID
    public var agent: String
    public var listen: Endpoint?
    public var advertise: Endpoint?
    public var startedAt: Date
    public var uptimeSeconds: Double
    public var sessions: [SessionStatus]
    public var dialing: [DialStatus]
    public var recentNotes: [NoteRecord]
    /// SWIM's view of the network and the gossip counters.
    public var membership: MembershipStatus
}

public struct SessionStatus: Codable, Sendable {
    public var peer: NodeID
    public var direction: String
    public var remoteAddress: String
    public var peerListenAddress: Endpoint?
    public var agent: String?
    public var establishedAt: Date
    public var latestRTTMilliseconds: Double?
    public var smoothedRTTMilliseconds: Double?
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    public var framesIn: UInt64
    public var framesOut: UInt64
}

public struct DialStatus: Codable, Sendable {
    public enum State: String, Codable, Sendable {
        case connecting, connected, waiting
    }

    public var endpoint: Endpoint
    public var nodeID: NodeID?
    public var state: State
    public var failures: Int
    public var lastError: String?
}

/// A signed note this node received and verified.
public struct NoteRecord: Codable, Sendable, Hashable {
    public var from: NodeID
    public var text: String
    public var objectID: ObjectID
    public var receivedAt: Date
}
