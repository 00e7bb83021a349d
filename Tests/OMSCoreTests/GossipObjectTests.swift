import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// What gossip carries and what the gate lets in (protocol-spec §17): manifest announcements
/// checked from their bytes alone, membership frames decoded within bounds, and alive updates
/// that only the member itself can sign.
@Suite struct GossipObjectTests {
    static func manifest(_ discovery: String, name: String = "riders") -> ManifestDocument {
        try! ManifestDocument(
            yaml: """
                manifest: 1
                name: \(name)
                purpose: Pool our rides around the lake.
                tags: [cycling, lake]
                discovery: \(discovery)
                governance:
                  roles: [admin, member]
                  decisions: {manifest: {by: admin}, roles: {by: admin}, apps: {by: admin}, admission: {by: admin}, suspension: {by: admin}}
                joining: {mode: open}
                departure: {export: true, retain: 0d}
                """)
    }

    static func create(_ founder: Person, _ manifest: ManifestDocument) -> SignedCommunityEvent {
        try! CommunityEvent(
            community: nil, time: 1_800_000_000_000, parents: [],
            body: .create(group: .community, tcc: founder.tcc, node: founder.node, manifest: manifest)
        ).signed(with: founder.key)
    }

    @Test func anAnnouncementOpensFromItsBytesAloneAndRefusesEveryForgery() throws {
        let ada = Person("ada")
        let public1 = Self.manifest("public")
        let create = Self.create(ada, public1)
        let announcement = try ManifestAnnouncement.sign(create: create, version: 1, manifest: public1, with: ada.key)
        let opened = try ManifestAnnouncement.open(announcement.envelope.bytes)
        #expect(opened.community == create.communityID && opened.version == 1 && opened.manifest == public1)
        #expect(opened.item.content == announcement.envelope.id && opened.item.key == .community(create.communityID))
        // Deterministic: the same announcement twice is the same content, deduplicated.
        #expect(try ManifestAnnouncement.sign(create: create, version: 1, manifest: public1, with: ada.key).content == announcement.content)

        func refusal(_ body: () throws -> ManifestAnnouncement) -> String? {
            do {
                _ = try body()
                return nil
            } catch let error as GossipError {
                return error.code.name
            } catch {
                return "\(error)"
            }
        }
        // Another key signs Ada's community's announcement.
        let eve = Person("eve")
        #expect(refusal { try ManifestAnnouncement.sign(create: create, version: 2, manifest: public1, with: eve.key) } == "wrongSigner")
        // A private manifest is never announced, whoever signs it.
        let private1 = Self.manifest("private")
        #expect(refusal { try ManifestAnnouncement.sign(create: Self.create(ada, private1), version: 1, manifest: private1, with: ada.key) } == "notPublic")
        // Version 1 is the founding manifest; a later one may differ.
        let renamed = Self.manifest("public", name: "lake-riders")
        #expect(refusal { try ManifestAnnouncement.sign(create: create, version: 1, manifest: renamed, with: ada.key) } == "malformed")
        #expect(try ManifestAnnouncement.sign(create: create, version: 2, manifest: renamed, with: ada.key).manifest == renamed)
        #expect(refusal { try ManifestAnnouncement.sign(create: create, version: 0, manifest: public1, with: ada.key) } == "malformed")
        // Versions end at SQLite's largest integer, where the catalog keeps them.
        #expect(try ManifestAnnouncement.sign(create: create, version: UInt64(Int64.max), manifest: renamed, with: ada.key).version == UInt64(Int64.max))
        #expect(refusal { try ManifestAnnouncement.sign(create: create, version: UInt64(Int64.max) + 1, manifest: renamed, with: ada.key) } == "malformed")
        // One flipped bit anywhere in the signed bytes; the bytes cut short; bytes added.
        var tampered = announcement.envelope.bytes
        tampered[tampered.count - 100] ^= 1
        #expect(refusal { try ManifestAnnouncement.open(tampered) } == "badSignature")
        #expect(refusal { try ManifestAnnouncement.open(Array(announcement.envelope.bytes.dropLast(70))) } == "malformed")
        // Well signed, but the payload claims another community than its create event founds.
        var payload = announcement.envelope.payload
        payload[1] ^= 1
        let lying = Envelope.sign(type: ManifestAnnouncement.type, payload: payload, with: ada.key)
        #expect(refusal { try ManifestAnnouncement.open(lying.bytes) } == "malformed")
        // Another envelope type.
        #expect(refusal { try ManifestAnnouncement.open(Envelope.sign(type: .note, payload: payload, with: ada.key).bytes) } == "malformed")
    }

    static let network = try! NetworkID("gossip-test")

    static func signedAlive(_ key: Ed25519.PrivateKey, _ incarnation: UInt64) -> SignedUpdate {
        SignedUpdate(
            update: SWIMUpdate(peer: NodeID(publicKey: key.publicKey), status: .alive, incarnation: incarnation),
            signature: AliveStatement.sign(network: network, incarnation: incarnation, with: key))
    }

    @Test func theGateLetsInOnlyWhatAMemberSignedItself() throws {
        let me = Ed25519.PrivateKey()
        let (bob, eve) = (Ed25519.PrivateKey(), Ed25519.PrivateKey())
        let (bobID, eveID) = (NodeID(publicKey: bob.publicKey), NodeID(publicKey: eve.publicKey))
        var gate = MembershipGate(network: Self.network, myself: NodeID(publicKey: me.publicKey), maximumMembers: 3)
        func refusal(_ update: SignedUpdate) -> String? {
            do {
                _ = try gate.admit(update, from: eveID)
                return nil
            } catch {
                return error.code.name
            }
        }
        #expect(try gate.admit(Self.signedAlive(bob, 5), from: eveID) == Self.signedAlive(bob, 5).update, "passed on by anyone, signed by Bob")
        #expect(gate.signature(for: SWIMUpdate(peer: bobID, status: .alive, incarnation: 5)) != nil)
        #expect(gate.signature(for: SWIMUpdate(peer: bobID, status: .alive, incarnation: 4)) == nil, "only the incarnation it signed")
        // Eve refutes for Bob, or keeps him alive at a higher incarnation: not his signature.
        var forged = Self.signedAlive(eve, 9)
        forged.update.peer = bobID
        #expect(refusal(forged) == "badSignature")
        // A signature from another network does not count here.
        let elsewhere = SignedUpdate(
            update: SWIMUpdate(peer: bobID, status: .alive, incarnation: 6),
            signature: AliveStatement.sign(network: try NetworkID("other-net"), incarnation: 6, with: bob))
        #expect(refusal(elsewhere) == "badSignature")
        // Suspicion and death only at incarnations Bob signed: nobody declares him dead at one
        // he could never refute; and a death heard from a peer is that peer's suspicion.
        #expect(refusal(SignedUpdate(update: SWIMUpdate(peer: bobID, status: .suspect, incarnation: 5, reporter: bobID), signature: [])) == nil)
        #expect(refusal(SignedUpdate(update: SWIMUpdate(peer: bobID, status: .dead, incarnation: .max), signature: [])) == "stale")
        let death = try gate.admit(SignedUpdate(update: SWIMUpdate(peer: bobID, status: .dead, incarnation: 5), signature: []), from: eveID)
        #expect(death == SWIMUpdate(peer: bobID, status: .suspect, incarnation: 5, reporter: eveID))
        let stranger = NodeID(publicKey: Ed25519.PrivateKey().publicKey)
        #expect(refusal(SignedUpdate(update: SWIMUpdate(peer: stranger, status: .dead, incarnation: 0), signature: [])) == "stale")
        // Bounded: past the limit, new identities are left out (their signatures are cheap), but
        // a forgery is still a forgery, charged as one.
        _ = try gate.admit(Self.signedAlive(Ed25519.PrivateKey(), 1), from: eveID)
        #expect(gate.count == 2)
        _ = try gate.admit(Self.signedAlive(Ed25519.PrivateKey(), 1), from: eveID)
        #expect(refusal(Self.signedAlive(Ed25519.PrivateKey(), 1)) == "full")
        var forgedStranger = Self.signedAlive(eve, 1)
        forgedStranger.update.peer = stranger
        #expect(refusal(forgedStranger) == "badSignature")
        gate.prune { $0 == bobID }
        #expect(gate.count == 1)
        #expect(refusal(Self.signedAlive(Ed25519.PrivateKey(), 1)) == nil)
    }

    @Test func aNodeRestartedBelowItsLastIncarnationGoesAboveIt() {
        // Peers hold node 1 dead at incarnation 900 from its last life; it restarts at 500. The
        // first alive of its own at 900 it hears (its old signature, gossiped back) lifts it above.
        var instance = SWIMInstance<UInt32>(myself: 1, seed: 1, now: 0, incarnation: 500)
        _ = instance.onMessage(.gossip(updates: [SWIMUpdate(peer: 1, status: .alive, incarnation: 900)]), from: 2, now: 10)
        #expect(instance.incarnation == 901)
        #expect(instance.localHealth == 0, "no suspicion to answer for")
        _ = instance.onMessage(.gossip(updates: [SWIMUpdate(peer: 1, status: .dead, incarnation: 901)]), from: 2, now: 20)
        #expect(instance.incarnation == 902 && instance.localHealth == 1)
        _ = instance.onMessage(.gossip(updates: [SWIMUpdate(peer: 1, status: .alive, incarnation: 700)]), from: 2, now: 30)
        #expect(instance.incarnation == 902, "an older life's alive changes nothing")
    }

    @Test func aRestartedNodeAnnouncesItselfToThoseWhoHoldItDead() {
        // Node 2 holds node 1 dead at incarnation 5; nobody probes a dead member, so node 1,
        // restarted at 6, must say it is back: its first gossip round carries its alive.
        var peer = SWIMInstance<UInt32>(myself: 2, seed: 2, now: 0)
        _ = peer.onMessage(.gossip(updates: [SWIMUpdate(peer: 1, status: .alive, incarnation: 5)]), from: 3, now: 0)
        _ = peer.onMessage(.gossip(updates: [SWIMUpdate(peer: 1, status: .dead, incarnation: 5)]), from: 3, now: 0)
        #expect(peer.member(1)?.status == .dead)
        var restarted = SWIMInstance<UInt32>(myself: 1, seed: 1, now: 0, incarnation: 6, roster: [2])
        for directive in restarted.onTick(now: restarted.nextDeadline) {
            if case .send(let message, to: 2) = directive { _ = peer.onMessage(message, from: 1, now: 300) }
        }
        #expect(peer.member(1)?.status == .alive && peer.member(1)?.incarnation == 6)
    }

    @Test func membershipFramesRoundTripAndAreBoundedWhenDecoded() throws {
        let bob = Ed25519.PrivateKey()
        let bobID = NodeID(publicKey: bob.publicKey)
        let carol = NodeID(publicKey: Ed25519.PrivateKey().publicKey)
        let alive = Self.signedAlive(bob, 3)
        let message = SWIMMessage<NodeID>.pingRequest(
            sequence: 42, target: carol,
            updates: [alive.update, SWIMUpdate(peer: carol, status: .suspect, incarnation: 2, reporter: bobID), SWIMUpdate(peer: carol, status: .dead, incarnation: 2)])
        let wire = message.wire { $0 == alive.update ? alive.signature : nil }
        let encoded: [UInt8] = try wire.serializedBytes()
        let decoded = try SWIMMessage.decode(try WireMembership(serializedBytes: encoded), maximumUpdates: 8, maximumPushPull: 16)
        #expect(decoded.message == message)
        #expect(decoded.updates.first?.signature == alive.signature)
        // An alive update with no signature to send is left out, not sent unsigned.
        #expect(SWIMMessage<NodeID>.gossip(updates: [alive.update]).wire { _ in nil }.updates.isEmpty)

        func code(_ mutate: (inout WireMembership) -> Void) -> String? {
            var copy = wire
            mutate(&copy)
            do {
                _ = try SWIMMessage.decode(copy, maximumUpdates: 8, maximumPushPull: 16)
                return nil
            } catch {
                return error.code.name
            }
        }
        #expect(code { $0.updates = Array(repeating: $0.updates[0], count: 9) } == "oversized")
        #expect(code { $0.kind = .pushPull; $0.updates = Array(repeating: $0.updates[0], count: 17) } == "oversized")
        #expect(code { $0.kind = .pushPull; $0.updates = Array(repeating: $0.updates[0], count: 16) } == nil)
        #expect(code { $0.updates[0].node = Data([1, 2, 3]) } == "malformed")
        #expect(code { $0.updates[0].signature = Data() } == "malformed")
        #expect(code { $0.updates[1].reporter = Data() } == "malformed")
        #expect(code { $0.updates[2].status = .unspecified } == "malformed")
        #expect(code { $0.target = Data(repeating: 1, count: 31) } == "malformed")
        #expect(code { $0.kind = .unspecified } == "malformed")
    }
}
