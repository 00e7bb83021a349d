import OMSCrypto
import OMSProtocol

/// What a member signs to say it is alive at an incarnation (protocol-spec §17): SWIM updates
/// are hearsay, passed on by anyone, so only a member's own signature may keep it alive or
/// refute a suspicion of it. Bound to the network, as the Noise prologue is.
public enum AliveStatement {
    static let domain: [UInt8] = Array("oms/v1/alive".utf8) + [0]

    /// `domain | network_len u8 | network | node [32] | incarnation u64`.
    public static func signingInput(network: NetworkID, node: NodeID, incarnation: UInt64) -> [UInt8] {
        var input = domain
        input.append(UInt8(network.rawValue.utf8.count))
        input += Array(network.rawValue.utf8)
        input += node.bytes
        input.appendBigEndian(incarnation)
        return input
    }

    public static func sign(network: NetworkID, incarnation: UInt64, with key: Ed25519.PrivateKey) -> [UInt8] {
        key.signature(for: signingInput(network: network, node: NodeID(publicKey: key.publicKey), incarnation: incarnation))
    }

    public static func verify(_ signature: [UInt8], network: NetworkID, node: NodeID, incarnation: UInt64) -> Bool {
        node.publicKey.isValidSignature(signature, for: signingInput(network: network, node: node, incarnation: incarnation))
    }
}

/// A membership update as it came off the wire, with the member's signature of an `alive`.
public struct SignedUpdate: Sendable, Hashable {
    public var update: SWIMUpdate<NodeID>
    public var signature: [UInt8]

    public init(update: SWIMUpdate<NodeID>, signature: [UInt8]) {
        self.update = update
        self.signature = signature
    }
}

extension SWIMMessage where Peer == NodeID {
    /// Decodes a `Membership` frame. Bounded: at most `maximumUpdates` updates (more is
    /// malformed, not cut: an honest peer never sends more), 32-byte ids, known kinds and states.
    public static func decode(
        _ wire: WireMembership, maximumUpdates: Int, maximumPushPull: Int
    ) throws(GossipError) -> (message: SWIMMessage<NodeID>, updates: [SignedUpdate]) {
        let isPushPull = wire.kind == .pushPull || wire.kind == .pushPullReply
        let limit = isPushPull ? maximumPushPull : maximumUpdates
        guard wire.updates.count <= limit else {
            throw GossipError(.oversized, "\(wire.updates.count) updates in one \(wire.kind) message; at most \(limit)")
        }
        var updates: [SignedUpdate] = []
        updates.reserveCapacity(wire.updates.count)
        for (index, item) in wire.updates.enumerated() {
            guard let node = try? NodeID(bytes: Array(item.node)) else { throw GossipError(.malformed, "update \(index): a node id is 32 bytes") }
            let status: SWIMStatus
            switch item.status {
            case .alive: status = .alive
            case .suspect: status = .suspect
            case .dead: status = .dead
            default: throw GossipError(.malformed, "update \(index): no such member status")
            }
            var reporter: NodeID?
            if status == .suspect {
                guard let id = try? NodeID(bytes: Array(item.reporter)) else {
                    throw GossipError(.malformed, "update \(index): a suspicion names its reporter's 32-byte id")
                }
                reporter = id
            }
            guard status != .alive || item.signature.count == 64 else {
                throw GossipError(.malformed, "update \(index): an alive update carries the member's 64-byte signature")
            }
            updates.append(
                SignedUpdate(
                    update: SWIMUpdate(peer: node, status: status, incarnation: item.incarnation, reporter: reporter),
                    signature: Array(item.signature)))
        }
        let plain = updates.map(\.update)
        let message: SWIMMessage<NodeID>
        switch wire.kind {
        case .ping: message = .ping(sequence: wire.sequence, updates: plain)
        case .pingRequest:
            guard let target = try? NodeID(bytes: Array(wire.target)) else { throw GossipError(.malformed, "a ping request names a 32-byte target") }
            message = .pingRequest(sequence: wire.sequence, target: target, updates: plain)
        case .ack: message = .ack(sequence: wire.sequence, updates: plain)
        case .nack: message = .nack(sequence: wire.sequence, updates: plain)
        case .gossip: message = .gossip(updates: plain)
        case .pushPull: message = .pushPull(updates: plain, reply: true)
        case .pushPullReply: message = .pushPull(updates: plain, reply: false)
        default: throw GossipError(.malformed, "no such membership message kind")
        }
        return (message, updates)
    }

    /// The frame for this message; `signature` gives each alive update its member's signature,
    /// and an alive update without one is left out (it could not be checked by the receiver).
    public func wire(signature: (SWIMUpdate<NodeID>) -> [UInt8]?) -> WireMembership {
        var wire = WireMembership()
        switch self {
        case .ping(let sequence, _):
            wire.kind = .ping
            wire.sequence = sequence
        case .pingRequest(let sequence, let target, _):
            wire.kind = .pingRequest
            wire.sequence = sequence
            wire.target = .init(target.bytes)
        case .ack(let sequence, _):
            wire.kind = .ack
            wire.sequence = sequence
        case .nack(let sequence, _):
            wire.kind = .nack
            wire.sequence = sequence
        case .gossip: wire.kind = .gossip
        case .pushPull(_, let reply): wire.kind = reply ? .pushPull : .pushPullReply
        }
        wire.updates = updates.compactMap { update in
            var item = WireMemberUpdate()
            item.node = .init(update.peer.bytes)
            item.incarnation = update.incarnation
            switch update.status {
            case .alive:
                guard let signed = signature(update) else { return nil }
                item.status = .alive
                item.signature = .init(signed)
            case .suspect:
                item.status = .suspect
                item.reporter = .init((update.reporter ?? update.peer).bytes)
            case .dead:
                item.status = .dead
            }
            return item
        }
        return wire
    }

    /// The same message carrying `updates` instead.
    public func replacingUpdates(_ updates: [SWIMUpdate<NodeID>]) -> SWIMMessage<NodeID> {
        switch self {
        case .ping(let sequence, _): .ping(sequence: sequence, updates: updates)
        case .pingRequest(let sequence, let target, _): .pingRequest(sequence: sequence, target: target, updates: updates)
        case .ack(let sequence, _): .ack(sequence: sequence, updates: updates)
        case .nack(let sequence, _): .nack(sequence: sequence, updates: updates)
        case .gossip: .gossip(updates: updates)
        case .pushPull(_, let reply): .pushPull(updates: updates, reply: reply)
        }
    }
}
