import OMSCrypto
import OMSProtocol

/// What a node lets into its SWIM instance from the wire, and the signatures it sends with its
/// own (protocol-spec §17). SWIM trusts every member with every update; on an open network:
///
/// - an `alive` counts only with the member's own signature of it (`AliveStatement`), so
///   nobody keeps a dead node alive or refutes a suspicion for another;
/// - a `suspect` or `dead` counts only at an incarnation the member has itself signed: nobody
///   can declare a member dead at an incarnation it could never refute;
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

    /// Whether `update` may reach the SWIM instance; an error says why not.
    public mutating func admit(_ update: SignedUpdate) throws(GossipError) {
        let peer = update.update.peer
        let known = signed[peer]
        switch update.update.status {
        case .alive:
            if let known, known.incarnation >= update.update.incarnation {
                // Nothing new (or a replay of an older one): the instance ignores it anyway.
                if known.incarnation == update.update.incarnation, known.signature != update.signature {
                    guard AliveStatement.verify(update.signature, network: network, node: peer, incarnation: update.update.incarnation) else {
                        throw GossipError(.badSignature, "an alive of \(peer.short) at \(update.update.incarnation) not signed by it")
                    }
                }
                return
            }
            guard peer == myself || known != nil || signed.count < maximumMembers else {
                throw GossipError(.full, "\(maximumMembers) members known; \(peer.short) left out")
            }
            guard AliveStatement.verify(update.signature, network: network, node: peer, incarnation: update.update.incarnation) else {
                throw GossipError(.badSignature, "an alive of \(peer.short) at \(update.update.incarnation) not signed by it")
            }
            // A signature of oneself at a higher incarnation than held is a copy of an old life's
            // (a restart): the instance refutes from it; nothing to record.
            if peer != myself { signed[peer] = (update.update.incarnation, update.signature) }
        case .suspect, .dead:
            guard let known, update.update.incarnation <= known.incarnation else {
                throw GossipError(
                    .stale, "\(update.update.status) of \(peer.short) at incarnation \(update.update.incarnation), which it has not signed")
            }
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
