/// What SWIM members send each other (SWIM §3-4, Lifeguard's nack), each carrying piggybacked
/// membership updates. `sequence` pairs an ack or nack with the probe it answers.
public enum SWIMMessage<Peer: Hashable & Comparable & Sendable>: Sendable, Hashable {
    /// Are you there? Answered with an `ack` of the same sequence.
    case ping(sequence: UInt64, updates: [SWIMUpdate<Peer>])
    /// Probe `target` for me: answered with an `ack` if the target answers the receiver, a
    /// `nack` if it does not in time (so the asker knows the receiver itself is fine).
    case pingRequest(sequence: UInt64, target: Peer, updates: [SWIMUpdate<Peer>])
    case ack(sequence: UInt64, updates: [SWIMUpdate<Peer>])
    case nack(sequence: UInt64, updates: [SWIMUpdate<Peer>])
    /// Updates pushed on their own, every gossip interval while any are queued; not answered.
    case gossip(updates: [SWIMUpdate<Peer>])
    /// Everything the sender believes that differs from "alive at incarnation 0" (anti-entropy);
    /// a `reply: true` one is answered with the receiver's own.
    case pushPull(updates: [SWIMUpdate<Peer>], reply: Bool)

    public var updates: [SWIMUpdate<Peer>] {
        switch self {
        case .ping(_, let updates), .pingRequest(_, _, let updates), .ack(_, let updates), .nack(_, let updates), .gossip(let updates),
            .pushPull(let updates, _):
            updates
        }
    }
}
