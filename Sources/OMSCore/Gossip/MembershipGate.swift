import OMSCrypto
import OMSProtocol

/// What a node lets into its SWIM instance from the wire, and the signatures it sends with its
/// own (protocol-spec §17). SWIM trusts every member with every update; on an open network:
///
/// - an `alive` counts only with the member's own signature of it (`AliveStatement`), so
///   nobody keeps a dead node alive or refutes a suspicion for another;
/// - a `suspect` or `dead` counts only at an incarnation the member has itself signed: nobody
///   can declare a member dead at an incarnation it could never refute; and a `suspect` or `dead`
///   heard from a peer counts as that peer's own suspicion, which runs its course here;
/// - at most `maximumMembers` members are known, so made-up identities cannot grow it without end.
public struct MembershipGate: Sendable {
    public let network: NetworkID
    public let myself: NodeID
    public let maximumMembers: Int
    /// The highest incarnation each member has signed, and that signature.
    private(set) var signed: [NodeID: (incarnation: UInt64, signature: [UInt8])] = [:]

    public init(network: NetworkID, myself: NodeID, maximumMembers: Int) {
        self.network = network
        self.myself = myself
        self.maximumMembers = maximumMembers
    }

    public var count: Int { signed.count }

    /// Records this node's own signature of its current incarnation.
    public mutating func signedOwn(incarnation: UInt64, signature: [UInt8]) {
        signed[myself] = (incarnation, signature)
    }

    /// What of `update`, received from `sender`, may reach the SWIM instance; an error says why
    /// nothing. A `suspect` or `dead` counts as the sender's own suspicion: no single peer can
    /// kill a member at once or shorten its suspicion alone, and the member gets time to refute.
    public mutating func admit(_ update: SignedUpdate, from sender: NodeID) throws(GossipError) -> SWIMUpdate<NodeID> {
        let peer = update.update.peer
        let known = signed[peer]
        switch update.update.status {
        case .alive:
            if let known, known.incarnation >= update.update.incarnation {
                // Nothing new (or a replay of an older one): the instance ignores it anyway.
                if known.incarnation == update.update.incarnation, known.signature != update.signature {
                    try verify(update)
                }
                return update.update
            }
            // The signature first: a forgery is charged as one, whatever else is true.
            try verify(update)
            guard peer == myself || known != nil || signed.count < maximumMembers else {
                throw GossipError(.full, "\(maximumMembers) members known; \(peer.short) left out")
            }
            // A signature of oneself above the incarnation held is a copy of an old life's (a
            // restart): the instance goes above it; nothing to record.
            if peer != myself { signed[peer] = (update.update.incarnation, update.signature) }
            return update.update
        case .suspect, .dead:
            guard let known, update.update.incarnation <= known.incarnation else {
                throw GossipError(
                    .stale, "\(update.update.status) of \(peer.short) at incarnation \(update.update.incarnation), which it has not signed")
            }
            // The sender, whom its session authenticates, is the reporter: a peer cannot invent
            // the independent confirmations that shorten a suspicion (Lifeguard), only add its own.
            return SWIMUpdate(peer: peer, status: .suspect, incarnation: update.update.incarnation, reporter: sender)
        }
    }

    private func verify(_ update: SignedUpdate) throws(GossipError) {
        guard AliveStatement.verify(update.signature, network: network, node: update.update.peer, incarnation: update.update.incarnation) else {
            throw GossipError(.badSignature, "an alive of \(update.update.peer.short) at \(update.update.incarnation) not signed by it")
        }
    }

    /// The member's signature for an outgoing `alive`, if this node holds it.
    public func signature(for update: SWIMUpdate<NodeID>) -> [UInt8]? {
        guard let known = signed[update.peer], known.incarnation == update.incarnation else { return nil }
        return known.signature
    }

    /// Forgets the members the instance no longer knows (dead past their retention).
    public mutating func prune(keeping isMember: (NodeID) -> Bool) {
        signed = signed.filter { $0.key == myself || isMember($0.key) }
    }
}
