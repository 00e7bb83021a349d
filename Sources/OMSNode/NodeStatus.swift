import Foundation
import OMSProtocol

/// A snapshot of a running node, as `oms node status` shows it.
public struct NodeStatus: Codable, Sendable {
    public var nodeID: NodeID
    public var network: NetworkID
    /// How this node's keys rest.
    public var trust: NodeTrust
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
    /// How the peer says its keys rest (signed in its handshake).
    public var peerTrust: NodeTrust
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

/// The node's membership view and gossip counters, as `oms node status` shows them.
public struct MembershipStatus: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var node: NodeID
        /// alive, suspect or dead.
        public var status: String
        public var incarnation: UInt64

        public init(node: NodeID, status: String, incarnation: UInt64) {
            self.node = node
            self.status = status
            self.incarnation = incarnation
        }
    }

    public var incarnation: UInt64
    public var localHealth: Int
    public var members: [Member]
    /// Within how long of a member's crash every live member declares it dead, by the
    /// settings and the membership's size (`SWIMSettings.promisedDetection`).
    public var promisedDetectionMs: UInt64
    public var catalogItems: Int
    public var refusals: [String: Int]
    public var dropped: Int
    public var unreachable: Int
    public var banned: [NodeID]

    public init(
        incarnation: UInt64, localHealth: Int, members: [Member], promisedDetectionMs: UInt64, catalogItems: Int, refusals: [String: Int],
        dropped: Int, unreachable: Int, banned: [NodeID]
    ) {
        self.incarnation = incarnation
        self.localHealth = localHealth
        self.members = members
        self.promisedDetectionMs = promisedDetectionMs
        self.catalogItems = catalogItems
        self.refusals = refusals
        self.dropped = dropped
        self.unreachable = unreachable
        self.banned = banned
    }
}
