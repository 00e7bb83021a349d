import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import SwiftProtobuf
import Testing

/// The gossip vectors of protocol-spec/README.md section 17 (`gossip.json`), written by the
/// independent Python implementation: alive statements sign and verify alike, membership frames
/// decode into the same updates (and encode back into the same bytes) or are refused with the
/// same code, announcements sign into the same bytes and open or are refused alike, and digest
/// entries supersede one another by the same rule.
@Suite struct GossipVectorTests {
    struct File: Decodable {
        let alive: [Alive]
        let invalidAlive: [Alive]
        let membership: [Membership]
        let invalidMembership: [InvalidMembership]
        let announcements: [Announcement]
        let invalidAnnouncements: [InvalidAnnouncement]
        let frames: [FrameVector]
        let supersedes: [Supersedes]
    }

    struct Alive: Decodable, CustomTestStringConvertible {
        let name: String
        let nodeSeed: String?
        let nodeHex: String
        let network: String
        let incarnation: String
        let signingInput: String?
        let signature: String
        var testDescription: String { name }
    }

    struct Update: Decodable {
        let node: String
        let status: String
        let incarnation: String
        let reporter: String?
        let signature: String?
    }

    struct Membership: Decodable, CustomTestStringConvertible {
        struct Read: Decodable {
            let message: String
            let sequence: String?
            let target: String?
            let updates: [Update]
        }

        let name: String
        let bytes: String
        let read: Read
        var testDescription: String { name }
    }

    struct InvalidMembership: Decodable, CustomTestStringConvertible {
        let name: String
        let bytes: String?
        let error: String
        let count: Int?
        let updateBytes: String?
        let kind: Int?
        let bytesHash: String?
        var testDescription: String { name }
    }

    struct Announcement: Decodable, CustomTestStringConvertible {
        let name: String
        let founderSeed: String
        let createEvent: String
        let communityHex: String
        let version: String
        let payload: String
        let envelope: String
        let contentId: String
        var testDescription: String { name }
    }

    struct InvalidAnnouncement: Decodable, CustomTestStringConvertible {
        let name: String
        let envelope: String
        let error: String
        var testDescription: String { name }
    }

    struct Entry: Decodable {
        let key: String
        let version: String
        let content: String
        let kind: Int?
        var entry: DigestEntry<GossipKey> {
            let id = [UInt8](hex: key)
            return DigestEntry(
                key: kind == 1 ? .location(TCFID(uncheckedBytes: id)) : .community(TCCID(uncheckedBytes: id)), version: UInt64(version)!,
                content: ObjectID(uncheckedBytes: [UInt8](hex: content)))
        }
    }

    struct FrameVector: Decodable, CustomTestStringConvertible {
        let name: String
        let body: String
        let bytes: String
        let items: [String]?
        let entries: [Entry]?
        let reply: Bool?
        var testDescription: String { name }
    }

    struct Supersedes: Decodable, CustomTestStringConvertible {
        let name: String
        let held: Entry
        let incoming: Entry
        let incomingSupersedes: Bool
        let heldSupersedes: Bool
        var testDescription: String { name }
    }

    static let file: File = try! IdentityVectorTests.load("gossip.json")

    static func frame(_ hex: String) throws -> WireFrame { try WireFrame(serializedBytes: [UInt8](hex: hex)) }

    @Test(arguments: file.alive) func aliveStatementsSignAndVerifyAlike(_ vector: Alive) throws {
        let node = NodeID(uncheckedBytes: [UInt8](hex: vector.nodeHex))
        let network = try NetworkID(vector.network)
        let incarnation = UInt64(vector.incarnation)!
        #expect(AliveStatement.signingInput(network: network, node: node, incarnation: incarnation) == [UInt8](hex: vector.signingInput!))
        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: vector.nodeSeed!))
        #expect(AliveStatement.sign(network: network, incarnation: incarnation, with: key) == [UInt8](hex: vector.signature))
        #expect(AliveStatement.verify([UInt8](hex: vector.signature), network: network, node: node, incarnation: incarnation))
    }

    @Test(arguments: file.invalidAlive) func forgedAliveStatementsDoNotVerify(_ vector: Alive) throws {
        let node = NodeID(uncheckedBytes: [UInt8](hex: vector.nodeHex))
        #expect(!AliveStatement.verify([UInt8](hex: vector.signature), network: try NetworkID(vector.network), node: node, incarnation: UInt64(vector.incarnation)!))
    }

    @Test(arguments: file.membership) func membershipFramesDecodeAndEncodeAlike(_ vector: Membership) throws {
        guard case .membership(let wire)? = try Self.frame(vector.bytes).body else {
            Issue.record("not a Membership frame")
            return
        }
        let (message, updates) = try SWIMMessage.decode(wire, maximumUpdates: 8, maximumPushPull: 4096)
        let kind: String
        switch message {
        case .ping: kind = "ping"
        case .pingRequest(_, let target, _):
            kind = "ping_request"
            #expect(target.bytes.hex == vector.read.target)
        case .ack: kind = "ack"
        case .nack: kind = "nack"
        case .gossip: kind = "gossip"
        case .pushPull(_, let reply): kind = reply ? "push_pull" : "push_pull_reply"
        }
        #expect(kind == vector.read.message.replacingOccurrences(of: "-", with: "_"))
        switch message {
        case .ping(let sequence, _), .pingRequest(let sequence, _, _), .ack(let sequence, _), .nack(let sequence, _):
            #expect(vector.read.sequence.flatMap(UInt64.init) == sequence)
        default:
            break
        }
        #expect(updates.count == vector.read.updates.count)
        for (update, expected) in zip(updates, vector.read.updates) {
            #expect(update.update.peer.bytes.hex == expected.node)
            #expect(update.update.status.description == expected.status)
            #expect(update.update.incarnation == UInt64(expected.incarnation))
            #expect(update.update.reporter?.bytes.hex == expected.reporter)
            if update.update.status == .alive { #expect(update.signature.hex == expected.signature) }
        }
        var again = WireFrame()
        again.membership = message.wire { wanted in updates.first { $0.update == wanted }?.signature }
        #expect(try again.serializedBytes() == [UInt8](hex: vector.bytes))
    }

    @Test(arguments: file.invalidMembership) func badMembershipFramesAreRefusedAlike(_ vector: InvalidMembership) throws {
        let wire: WireMembership
        if let bytes = vector.bytes {
            guard case .membership(let decoded)? = try Self.frame(bytes).body else {
                Issue.record("not a Membership frame")
                return
            }
            wire = decoded
        } else {
            // Written compactly: one update repeated `count` times.
            var built = WireMembership()
            built.kind = WireMembershipKind(rawValue: vector.kind!)!
            built.updates = Array(repeating: try WireMemberUpdate(serializedBytes: [UInt8](hex: vector.updateBytes!)), count: vector.count!)
            var frame = WireFrame()
            frame.membership = built
            #expect(BLAKE2b.hash(try frame.serializedBytes(), outputLength: 32).hex == vector.bytesHash)
            wire = built
        }
        #expect(throws: GossipError.self) { try SWIMMessage.decode(wire, maximumUpdates: 8, maximumPushPull: 4096) }
        do {
            _ = try SWIMMessage.decode(wire, maximumUpdates: 8, maximumPushPull: 4096)
        } catch {
            #expect(error.code.name == vector.error)
        }
    }

    @Test(arguments: file.announcements) func announcementsSignAndOpenAlike(_ vector: Announcement) throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: vector.founderSeed))
        let create = try SignedCommunityEvent.open([UInt8](hex: vector.createEvent))
        let opened = try ManifestAnnouncement.open([UInt8](hex: vector.envelope))
        #expect(opened.envelope.payload == [UInt8](hex: vector.payload))
        #expect(opened.community.bytes.hex == vector.communityHex && opened.version == UInt64(vector.version))
        #expect(opened.content.bytes.hex == vector.contentId)
        let signed = try ManifestAnnouncement.sign(create: create, version: opened.version, manifest: opened.manifest, with: key)
        #expect(signed.envelope.bytes == [UInt8](hex: vector.envelope))
    }

    @Test(arguments: file.invalidAnnouncements) func badAnnouncementsAreRefusedAlike(_ vector: InvalidAnnouncement) {
        do {
            _ = try ManifestAnnouncement.open([UInt8](hex: vector.envelope))
            Issue.record("opened")
        } catch {
            #expect(error.code.name == vector.error)
        }
    }

    @Test(arguments: file.frames) func announcementAndDigestFramesEncodeAndDecodeAlike(_ vector: FrameVector) throws {
        // Through the builders and readers the node itself uses.
        let frame: WireFrame
        if vector.body == "announcements" {
            let items = vector.items!.map { [UInt8](hex: $0) }
            frame = DisseminationWire.announcements(items)
            guard case .announcements(let wire)? = try Self.frame(vector.bytes).body else {
                Issue.record("not Announcements")
                return
            }
            #expect(try DisseminationWire.items(of: wire, maximum: 16) == items)
        } else {
            let entries = vector.entries!.map(\.entry)
            frame = DisseminationWire.digest(entries, reply: vector.reply ?? false)
            guard case .digest(let wire)? = try Self.frame(vector.bytes).body else {
                Issue.record("not a Digest")
                return
            }
            #expect(try DisseminationWire.entries(of: wire, maximum: 4096) == entries)
        }
        #expect(try frame.serializedBytes() == [UInt8](hex: vector.bytes))
    }

    @Test(arguments: file.supersedes) func digestEntriesSupersedeAlike(_ vector: Supersedes) {
        let incoming = GossipItem(key: vector.incoming.entry.key, version: vector.incoming.entry.version, content: vector.incoming.entry.content, bytes: [])
        let held = GossipItem(key: vector.held.entry.key, version: vector.held.entry.version, content: vector.held.entry.content, bytes: [])
        #expect(incoming.supersedes(vector.held.entry) == vector.incomingSupersedes)
        #expect(held.supersedes(vector.incoming.entry) == vector.heldSupersedes)
    }
}
