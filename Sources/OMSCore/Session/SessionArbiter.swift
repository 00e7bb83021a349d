import OMSProtocol

/// Decides which of two sessions between the same pair of nodes survives when both dialled
/// each other at once. Both ends MUST reach the same answer without talking: the session
/// initiated by the node with the smaller id (bytewise) is kept (protocol-spec/README.md,
/// "Duplicate sessions").
public enum SessionArbiter {
    public enum Direction: String, Sendable, Hashable {
        /// This node dialled.
        case outbound
        /// The peer dialled.
        case inbound
    }

    /// True when a new session in `newDirection` should replace an existing one in
    /// `existingDirection` with the same peer.
    public static func keepNew(
        local: NodeID, remote: NodeID, existingDirection: Direction, newDirection: Direction
    ) -> Bool {
        guard existingDirection != newDirection else {
            // A second session in the same direction is a reconnect: the old one is stale.
            return true
        }
        let preferred: Direction = local.bytes.lexicographicallyPrecedes(remote.bytes) ? .outbound : .inbound
        return newDirection == preferred
    }
}
