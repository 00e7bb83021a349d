import Foundation
import OMSAPI
import OMSCore
import OMSCrypto
@testable import OMSNode
@testable import OMSProtocol
import OMSStore
import Testing

extension IntegrationTests {
    /// Gossip between real nodes over loopback (protocol-spec §17): SWIM on the node sessions,
    /// public manifests spreading to every catalog, and peers that lie being refused, counted
    /// and banned while honest ones are served.
    @Suite(.timeLimit(.minutes(2))) struct GossipTests {
        static func manifest(name: String, purpose: String, discovery: String) -> String {
            """
            manifest: 1
            name: \(name)
            purpose: \(purpose)
            tags: [cycling, lake]
            discovery: \(discovery)
            governance:
              roles: [admin, member]
              decisions: {manifest: {by: admin}, roles: {by: admin}, apps: {by: admin}, admission: {by: admin}, suspension: {by: admin}}
            joining: {mode: open}
            departure: {export: true, retain: 0d}
            """
        }

        /// Runs `body` with `names.count` nodes with fast gossip, each dialling only the one
        /// before it (peer exchange does the rest), once every node's SWIM knows every other alive.
        static func withNodes(
            _ names: [String], configure: @escaping @Sendable (inout NodeConfiguration) -> Void = NodeHarness.fastGossip,
            _ body: @Sendable ([APINode], URL) async throws -> Void
        ) async throws {
            let root = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            @Sendable func nest(_ index: Int, _ started: [APINode]) async throws {
                guard index < names.count else {
                    for node in started {
                        try await NodeHarness.eventually("\(node.node.id.short) knows everyone alive", timeout: .seconds(20)) {
                            await Self.alive(node.node).count == started.count - 1
                        }
                    }
                    try await body(started, root)
                    return
                }
                try await APINode.run(in: root, name: names[index], configure: configure) { node in
                    let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
                    let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: names[index]))
                    if let previous = started.last { try await node.node.addPeer(await NodeHarness.address(previous.node)) }
                    try await nest(index + 1, started + [node])
                }
            }
            try await nest(0, [])
        }

        static func alive(_ node: Node) async -> Set<NodeID> {
            Set(await node.membershipStatus().members.filter { $0.status == "alive" }.map(\.node))
        }

        static func search(_ node: APINode, _ query: String) async throws -> [CatalogEntry] {
            let reply: CatalogResponse = try await node.anonymous.get("/v1/manifests?q=\(query)")
            return reply.manifests
        }

        @Test func publicManifestsReachEveryCatalogUpdatesReplaceThemAndPrivateOnesNeverTravel() async throws {
            try await Self.withNodes(["ada", "bob", "cyd", "dan", "eve"]) { nodes, root in
                let a = nodes[0]
                let hidden: CommunityView = try await a.owner.post(
                    "/v1/communities",
                    CreateCommunityRequest(tcc: "ada", manifest: Self.manifest(name: "secret-riders", purpose: "Ride in secret.", discovery: "private")))
                let open: CommunityView = try await a.owner.post(
                    "/v1/communities",
                    CreateCommunityRequest(tcc: "ada", manifest: Self.manifest(name: "lake-riders", purpose: "Ride around the lake.", discovery: "public")))
                for node in nodes {
                    try await NodeHarness.eventually("the public manifest reaches \(node.node.id.short)") {
                        (try? await Self.search(node, "lake%20rid"))?.map(\.community) == [open.id]
                    }
                }
                // Searched from outside (no token), by prefix and by tag; the private one nowhere.
                let found = try await Self.search(nodes[4], "cycl")
                #expect(found.count == 1 && found[0].name == "lake-riders" && found[0].version == 1 && found[0].kind == "community")
                let shown: CatalogManifest = try await nodes[4].anonymous.get("/v1/manifests/\(open.id)")
                #expect(Manifest.hash(Array(shown.manifest.utf8)).hex == shown.entry.manifestHash)
                for node in nodes {
                    #expect(try await Self.search(node, "secret").isEmpty)
                    #expect(try node.store.catalogCount() == 1)
                    // (A suspicion may be `stale` on a loaded machine: news that overtook a member's alive.)
                    let refused = await node.node.membershipStatus().refusals.filter { $0.key != "stale" }
                    #expect(refused.isEmpty, "honest nodes refuse no item: \(refused)")
                }
                _ = hidden
                // Bad queries are words, never FTS5 syntax.
                #expect(try await Self.search(nodes[1], "%22%20OR%20*%20(").isEmpty)
                // A new version, decided by the admin, replaces the old one everywhere.
                let _: CommunityEventResult = try await a.owner.post(
                    "/v1/communities/\(open.id)/actions",
                    CommunityActionRequest(
                        tcc: "ada", action: "manifest",
                        manifest: Self.manifest(name: "lake-riders", purpose: "Ride around the lake, now at dawn.", discovery: "public")))
                for node in nodes {
                    try await NodeHarness.eventually("version 2 reaches \(node.node.id.short)") {
                        (try? await Self.search(node, "dawn"))?.map(\.version) == [2]
                    }
                }
                // A node that was away while both were pushed (their retransmissions long spent)
                // catches up by push-pull.
                try await Task.sleep(for: .seconds(1))
                try await APINode.run(in: root, name: "fay", configure: NodeHarness.fastGossip) { late in
                    try await late.node.addPeer(await NodeHarness.address(nodes[4].node))
                    try await NodeHarness.eventually("the late node catches up", timeout: .seconds(15)) {
                        (try? await Self.search(late, "lake"))?.map(\.version) == [2]
                    }
                }
            }
        }

        @Test func aNodeThatStopsIsDeclaredDeadEverywhereAndTheLiveStayAlive() async throws {
            var configurations = (0..<4).map { _ in NodeHarness.configuration(greet: false) }
            for index in configurations.indices { NodeHarness.fastGossip(&configurations[index]) }
            let nodes = configurations.map { Node(configuration: $0, store: nil, logger: NodeHarness.quietLogger) }
            let (doomed, living) = (nodes[3], Array(nodes[0..<3]))
            try await doomed.bind()
            for node in living { try await node.bind() }
            for (index, node) in nodes.enumerated() where index > 0 { try await node.addPeer(await NodeHarness.address(nodes[index - 1])) }
            let doomedRun = Task { try await doomed.run() }
            try await NodeHarness.run(living) {
                for node in nodes {
                    try await NodeHarness.eventually("\(node.id.short) knows everyone alive", timeout: .seconds(20)) {
                        await Self.alive(node).count == 3
                    }
                }
                // Every member comes to be known at the incarnation it signed (a clock reading), not 0.
                try await NodeHarness.eventually("signed incarnations") {
                    await living[0].membershipStatus().members.allSatisfy { $0.incarnation > 1_700_000_000 }
                }
                doomedRun.cancel()
                _ = try? await doomedRun.value
                for node in living {
                    try await NodeHarness.eventually("\(node.id.short) declares the stopped node dead", timeout: .seconds(20)) {
                        await node.membershipStatus().members.first { $0.node == doomed.id }?.status == "dead"
                    }
                }
                for node in living {
                    try await NodeHarness.eventually("the living are alive to \(node.id.short)") {
                        await Self.alive(node) == Set(living.map(\.id)).subtracting([node.id])
                    }
                }
            }
        }

        @Test func lyingGossipIsRefusedCountedAndItsSenderBannedWhileHonestPeersAreServed() async throws {
            // No decay and no refill: the score the lies add up to does not depend on how fast a
            // loaded machine reads them.
            let strict: @Sendable (inout NodeConfiguration) -> Void = {
                NodeHarness.fastGossip(&$0)
                $0.dissemination.scoreDecayPerSecond = 0
                $0.dissemination.itemsPerSecond = 0.01
            }
            try await Self.withNodes(["ada", "bob"], configure: strict) { nodes, _ in
                let (a, b) = (nodes[0], nodes[1])
                let address = await NodeHarness.address(a.node)
                let fin = Ed25519.PrivateKey()
                let (finTCC, finNode) = (TCCID(uncheckedBytes: SecureRandom.bytes(32)), NodeID(uncheckedBytes: SecureRandom.bytes(32)))
                let first = try ManifestDocument(yaml: Self.manifest(name: "fin-club", purpose: "Fins.", discovery: "public"))
                let create = try CommunityEvent(
                    community: nil, time: 1_800_000_000_000, parents: [], body: .create(group: .community, tcc: finTCC, node: finNode, manifest: first)
                ).signed(with: fin)
                let version1 = try ManifestAnnouncement.sign(create: create, version: 1, manifest: first, with: fin)
                let second = try ManifestDocument(yaml: Self.manifest(name: "fin-club", purpose: "Fins, twice.", discovery: "public"))
                let version2 = try ManifestAnnouncement.sign(create: create, version: 2, manifest: second, with: fin)
                var forged = version2.envelope.bytes
                forged[forged.count - 80] ^= 1

                func announce(_ items: [[UInt8]]) -> WireFrame {
                    var frame = WireFrame()
                    frame.announcements = .with { $0.items = items.map { Data($0) } }
                    return frame
                }
                let attacker = Ed25519.PrivateKey()
                let closing = try await RawConnection.with(address) { raw in
                    var transport = try await raw.handshake(.init(identity: attacker, trust: .keyFile), network: NodeHarness.testNetwork)
                    let hello = SessionInstance.hello(agent: "liar/1", listenAddress: nil, wallClockMilliseconds: 0)
                    // Version 2, then a replay of version 1 (stale), then a flood of copies.
                    var frames = [hello, announce([version2.envelope.bytes]), announce([version1.envelope.bytes])]
                    frames += Array(repeating: announce(Array(repeating: version2.envelope.bytes, count: 16)), count: 17)
                    // A digest of 5,000 entries (at most 4,096).
                    var digest = WireFrame()
                    digest.digest = .with {
                        $0.reply = true
                        $0.entries = (0..<5000).map { i in .with { $0.key = Data(repeating: UInt8(i % 256), count: 32); $0.version = 1; $0.content = Data(count: 32) } }
                    }
                    frames.append(digest)
                    // Bob alive at a higher incarnation, signed by the attacker.
                    var membership = WireFrame()
                    membership.membership = SWIMMessage<NodeID>.gossip(updates: [SWIMUpdate(peer: b.node.id, status: .alive, incarnation: .max - 1)])
                        .wire { _ in AliveStatement.sign(network: NodeHarness.testNetwork, incarnation: .max - 1, with: attacker) }
                    frames.append(membership)
                    for message in try transport.seal(frames) { try? await raw.send(message) }
                    // A forged announcement: the flood emptied the budget, so it is dropped unread
                    // (1 point); then a malformed digest entry (20), which bans. Nothing after it:
                    // bytes the node had not read when it closed would turn its goodbye into a
                    // reset, and the farewell this test reads would be lost.
                    var badDigest = WireFrame()
                    badDigest.digest = .with { $0.entries = [.with { $0.key = Data([1, 2, 3]); $0.content = Data(count: 32) }] }
                    // The node may close (the ban) while these are still on their way: a send to a
                    // closed channel or a reset ends the connection as the farewell would.
                    for message in try transport.seal([announce([forged]), badDigest]) {
                        try? await raw.send(message)
                    }
                    var session: SecureSession? = transport
                    return (try? await raw.drain(&session)) ?? []
                }
                // Told why, unless its goodbye raced its own last bytes (then the reconnection
                // below is told); cut off either way.
                #expect(closing.allSatisfy { $0.errorCode == nil || $0.errorCode == .protocolViolation })
                let status = await a.node.membershipStatus()
                #expect(status.banned == [NodeID(publicKey: attacker.publicKey)])
                for code in ["stale", "flood", "oversized", "badSignature", "malformed"] {
                    #expect(status.refusals[code, default: 0] >= 1, "\(code) counted: \(status.refusals)")
                }
                #expect(status.refusals["badSignature"] == 1, "the forged alive; the forged announcement came past the budget, unread")
                try await NodeHarness.eventually("version 2 kept, the replay refused") { (try? await Self.search(a, "fin"))?.map(\.version) == [2] }
                #expect(await a.node.membershipStatus().members.first { $0.node == b.node.id }.map { $0.incarnation < .max - 1 } == true)

                // Banned: a new session is refused at once, with the reason.
                let again = try await RawConnection.with(address) { raw in
                    // The node refuses it right after the handshake, before any Hello of its own.
                    let transport = try await raw.handshake(.init(identity: attacker, trust: .keyFile), network: NodeHarness.testNetwork)
                    var session: SecureSession? = transport
                    return try await raw.drain(&session)
                }
                #expect(again.contains { $0.errorCode == .protocolViolation })
                // The honest peer was served throughout: its session stands and its news arrives.
                #expect(await NodeHarness.peers(of: a.node).contains(b.node.id))
                let _: CommunityView = try await b.owner.post(
                    "/v1/communities", CreateCommunityRequest(tcc: "bob", manifest: Self.manifest(name: "bob-riders", purpose: "Bob rides.", discovery: "public")))
                try await NodeHarness.eventually("the honest peer's manifest arrives") { (try? await Self.search(a, "bob"))?.count == 1 }
            }
        }
    }
}
