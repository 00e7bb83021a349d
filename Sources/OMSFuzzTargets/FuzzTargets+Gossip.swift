import OMSCore
import OMSCrypto
import OMSProtocol

extension FuzzTargets {
    /// Gossip (protocol-spec/README.md section 17): the input as a `Frame`, whose membership
    /// message goes through `SWIMMessage.decode` and a `MembershipGate`, whose announcements go
    /// through `ManifestAnnouncement.open` and a `Dissemination` machine, and whose digest goes to
    /// that machine too; and the input raw as an announcement's envelope. A membership message
    /// that decodes must keep its bounds and encode back into a frame that decodes to the same
    /// message; an announcement that opens must keep its bytes, be named by their hash, found
    /// the community it names and be signed by its founder; the machine must hold at most one
    /// item a key, each one it was given.
    public static func gossip(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        try openAnnouncement(bytes)
        guard let frame = try? WireFrame(serializedBytes: bytes) else { return }
        switch frame.body {
        case .membership(let wire):
            guard let (message, updates) = try? SWIMMessage.decode(wire, maximumUpdates: 8, maximumPushPull: 4096) else { return }
            try invariant(updates.count == message.updates.count, "decoded updates and the message's differ in number")
            try invariant(updates.count <= (wire.kind == .pushPull || wire.kind == .pushPullReply ? 4096 : 8), "an update bound broken")
            var gate = MembershipGate(network: gossipNetwork, myself: NodeID(uncheckedBytes: [UInt8](repeating: 0, count: 32)), maximumMembers: 4)
            for update in updates { _ = try? gate.admit(update, from: NodeID(uncheckedBytes: [UInt8](repeating: 1, count: 32))) }
            try invariant(gate.count <= 4, "the gate holds more members than its bound")
            let again = message.wire { wanted in updates.first { $0.update == wanted }?.signature }
            guard let (decoded, _) = try? SWIMMessage.decode(again, maximumUpdates: 8, maximumPushPull: 4096) else {
                throw FuzzInvariantViolation(description: "a decoded membership message does not decode once re-encoded")
            }
            try invariant(decoded == message, "a membership message changes when re-encoded")
        case .announcements(let wire):
            var machine = Dissemination<Int, GossipKey>(seed: 1, now: 0)
            let items = wire.items.prefix(16).map { Array($0) }
            for item in items { try openAnnouncement(item) }
            let directives = machine.onItems(items, from: 1, now: 0) { bytes throws(GossipError) in try GossipedObject.open(bytes).item }
            let stored = directives.filter { if case .stored = $0 { true } else { false } }.count
            try invariant(machine.items.count <= stored, "the machine holds items it did not store")
            for item in machine.items.values { try invariant(items.contains(item.bytes), "the machine holds bytes it was not given") }
        case .digest(let wire):
            var machine = Dissemination<Int, GossipKey>(seed: 1, now: 0)
            var bounded = wire
            bounded.entries = Array(wire.entries.prefix(5000))
            let entries = (try? DisseminationWire.entries(of: bounded, maximum: 5000)) ?? []
            let directives = machine.onDigest(entries, reply: wire.reply, from: 1, now: 0)
            if entries.count > machine.settings.maximumDigest {
                try invariant(directives.allSatisfy { if case .sendItems = $0 { false } else { true } }, "an oversized digest was answered")
            }
        default:
            break
        }
    }

    static let gossipNetwork = try! NetworkID("fuzz-net")

    static func openAnnouncement(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        guard let announcement = try? ManifestAnnouncement.open(bytes) else { return }
        try invariant(announcement.envelope.bytes == bytes, "an announcement does not keep its bytes")
        try invariant(announcement.content.bytes == BLAKE2b.hash(bytes, outputLength: 32), "an announcement's content id is not its hash")
        try invariant(announcement.create.communityID == announcement.community, "an announcement names another community than its create")
        try invariant(announcement.create.envelope.signer == announcement.envelope.signer, "an announcement not signed by its founder")
        try invariant(announcement.version >= 1 && announcement.manifest.manifest.discovery == .public, "a private or version-0 announcement opened")
        try invariant(announcement.envelope.payload.count <= ManifestAnnouncement.maximumPayload, "an announcement over its maximum")
    }
}
