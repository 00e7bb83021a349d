import OMSProtocol
import OMSStore

/// What the owner's tools may ask a running node over its control socket: one JSON object per
/// line, one request per connection. The socket is a file of mode 0600 in the data directory,
/// so being able to open it is the authorisation. (The owner HTTP API of a later issue takes
/// over from this for remote use.)
public enum ControlRequest: Codable, Sendable {
    case status
    case metrics
    case listPeers
    case addPeer(Endpoint)
    case removePeer(Endpoint)
    case sendNote(text: String, to: NodeID?)
}

public struct ControlResponse: Codable, Sendable {
    public var error: String?
    public var status: NodeStatus?
    public var peers: [PeerRecord]?
    public var changed: Bool?
    public var recipients: [NodeID]?
    public var metrics: String?

    public init(
        error: String? = nil, status: NodeStatus? = nil, peers: [PeerRecord]? = nil, changed: Bool? = nil,
        recipients: [NodeID]? = nil, metrics: String? = nil
    ) {
        self.error = error
        self.status = status
        self.peers = peers
        self.changed = changed
        self.recipients = recipients
        self.metrics = metrics
    }
}
