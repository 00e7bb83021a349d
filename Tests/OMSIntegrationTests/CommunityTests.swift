import Foundation
import OMSAPI
import OMSCore
import OMSCrypto
@testable import OMSNode
import OMSProtocol
import OMSStore
import Testing

extension IntegrationTests {
    /// Five real nodes on loopback, each with one person's TCC, replicating one community over
    /// the wire: founding, joining openly and by approval, proposals passing and failing,
    /// refusals that every replica gives alike, and two partitions converging.
    @Suite struct CommunityTests {
        static let founding = """
            manifest: 1
            name: riders
            purpose: Pool our rides to map safe routes.
            governance:
              roles: [admin, member]
              decisions:
                manifest: {by: quorum, quorum: 0.5, threshold: 0.6, period: 1h}
                roles: {by: admin}
                apps: {by: quorum, quorum: 0.5, threshold: 0.6, period: 1h}
                admission: {by: admin}
                suspension: {by: admin}
            joining: {mode: open}
            consent:
              - {stream: steps, answers: [count, mean], min-count: 3}
            departure: {export: true, retain: 0d}
            apps: [route-map]
            """
        static var byApproval: String { founding.replacingOccurrences(of: "joining: {mode: open}", with: "joining: {mode: approval}") }

        /// Runs `body` with five nodes a to e, in a full mesh, each hosting a TCC named for its person.
        static func withFiveNodes(_ body: @Sendable ([APINode]) async throws -> Void) async throws {
            let root = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let names = ["ada", "bob", "cyd", "dan", "eve"]
            @Sendable func nest(_ index: Int, _ started: [APINode]) async throws {
                guard index < names.count else {
                    for (i, node) in started.enumerated() {
                        for other in started[..<i] { try await node.node.addPeer(await NodeHarness.address(other.node)) }
                    }
                    for node in started {
                        try await NodeHarness.eventually("\(node.node.id.short) meets everyone") {
                            await NodeHarness.peers(of: node.node).count == started.count - 1
                        }
                    }
                    try await body(started)
                    return
                }
                try await APINode.run(in: root, name: names[index]) { node in
                    let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
                    let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: names[index]))
                    try await nest(index + 1, started + [node])
                }
            }
            try await nest(0, [])
        }

        static func view(_ node: APINode, _ community: TCCID) async throws -> CommunityView {
            try await node.owner.get("/v1/communities/\(community)")
        }

        /// Pushes raw event bytes to `node` from `from`, as a hostile or confused peer would.
        static func push(_ bytes: [UInt8], of community: TCCID, to node: APINode, from: APINode) async throws -> WireCommunityAck {
            var frame = WireFrame()
            frame.communityPush = .with {
                $0.community = Data(community.bytes)
                $0.events = [Data(bytes)]
            }
            guard case .communityAck(let ack)? = try await from.node.request(frame, to: node.node.id).body else {
                throw NodeHarness.Timeout(what: "an ack", after: .zero)
            }
            return ack
        }

        @Test func fiveNodesFoundJoinDecideRefuseAlikeAndConverge() async throws {
            try await Self.withFiveNodes { nodes in
                let (a, b, c, d, e) = (nodes[0], nodes[1], nodes[2], nodes[3], nodes[4])
                let created: CommunityView = try await a.owner.post("/v1/communities", CreateCommunityRequest(tcc: "ada", manifest: Self.founding))
                let id = created.id
                #expect(created.members.count == 1 && created.members[0].roles == ["admin", "member"])

                // Open joining: bob and dan are members as soon as a member's node accepts them.
                let joinedB: CommunityView = try await b.owner.post("/v1/communities/\(id)/join", JoinCommunityRequest(tcc: "bob", via: a.node.id))
                #expect(joinedB.members.map(\.status) == ["active", "active"])
                let _: CommunityView = try await d.owner.post("/v1/communities/\(id)/join", JoinCommunityRequest(tcc: "dan", via: b.node.id))

                // A vote changes the manifest to joining by approval: all three vote, so no wait.
                let amend: CommunityEventResult = try await a.owner.post(
                    "/v1/communities/\(id)/actions", CommunityActionRequest(tcc: "ada", action: "manifest", manifest: Self.byApproval, propose: true))
                for (node, person) in [(a, "ada"), (b, "bob"), (d, "dan")] {
                    let _: CommunityEventResult = try await node.owner.post(
                        "/v1/communities/\(id)/proposals/\(amend.event)/votes", VoteRequest(tcc: person, yes: true))
                }
                let _: CommunityEventResult = try await d.owner.post(
                    "/v1/communities/\(id)/proposals/\(amend.event)/enact", CommunityMemberRequest(tcc: "dan"))
                for node in [a, b, d] {
                    try await NodeHarness.eventually("the amendment reaches \(node.node.id.short)") {
                        (try? await Self.view(node, id))?.version == 2
                    }
                }

                // Now cyd waits for an admin; bob, a plain member, may not approve her.
                let applied: CommunityView = try await c.owner.post("/v1/communities/\(id)/join", JoinCommunityRequest(tcc: "cyd", via: b.node.id))
                let cyd = try #require(applied.applicants.first).persona
                #expect(applied.members.count == 3)
                let refused = await refusal { let _: CommunityEventResult = try await b.owner.post("/v1/communities/\(id)/actions", CommunityActionRequest(tcc: "bob", action: "approve", persona: cyd)) }
                #expect(refused?.status == 403 && refused?.code == "notAuthorized")
                let _: CommunityEventResult = try await a.owner.post(
                    "/v1/communities/\(id)/actions", CommunityActionRequest(tcc: "ada", action: "approve", persona: cyd))
                try await NodeHarness.eventually("cyd is a member on her own node") {
                    (try? await Self.view(c, id))?.members.contains { $0.persona == cyd && $0.status == "active" } == true
                }

                // An app proposal that only ada supports: 1 vote of 4 is short of a quorum of half.
                let app: CommunityEventResult = try await a.owner.post(
                    "/v1/communities/\(id)/actions", CommunityActionRequest(tcc: "ada", action: "app", name: "route-map", propose: true))
                let _: CommunityEventResult = try await a.owner.post("/v1/communities/\(id)/proposals/\(app.event)/votes", VoteRequest(tcc: "ada", yes: true))
                let early = await refusal { let _: CommunityEventResult = try await a.owner.post("/v1/communities/\(id)/proposals/\(app.event)/enact", CommunityMemberRequest(tcc: "ada")) }
                #expect(early?.status == 409 && early?.code == "tooEarly")
                let double = await refusal { let _: CommunityEventResult = try await a.owner.post("/v1/communities/\(id)/proposals/\(app.event)/votes", VoteRequest(tcc: "ada", yes: false)) }
                #expect(double?.status == 409 && double?.code == "doubleVote")
                for node in nodes { node.clock.advance(3_601) }
                let _: CommunityEventResult = try await b.owner.post(
                    "/v1/communities/\(id)/proposals/\(app.event)/enact", CommunityMemberRequest(tcc: "bob"))
                try await NodeHarness.eventually("every replica has the vote closed") {
                    var all = true
                    for node in [a, b, c, d] {
                        let view = try? await Self.view(node, id)
                        all = all && view?.proposals.first { $0.id == app.event }?.status == "failed"
                    }
                    return all
                }

                // Dan leaves; afterwards nothing he signs is accepted anywhere.
                let danTCC = try d.host.tcc("dan")
                let danPersona = try d.communities.persona(of: danTCC, in: try d.communities.log(id))
                let _: CommunityEventResult = try await d.owner.post("/v1/communities/\(id)/leave", CommunityMemberRequest(tcc: "dan"))
                try await NodeHarness.eventually("dan's leaving reaches ada") {
                    (try? await Self.view(a, id))?.members.first { $0.persona == danPersona.id }?.status == "left"
                }
                let heads = try a.communities.log(id).heads.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
                let afterLeaving = try CommunityEvent(
                    community: id, time: a.communities.nowMs, parents: heads, body: .action(.invite(PersonaID(uncheckedBytes: [UInt8](repeating: 9, count: 32))))
                ).signed(with: try d.host.personaKey(danPersona, of: danTCC))
                // Eve, outside, offers a join over a manifest nobody signed, and a forged event.
                let eveTCC = try e.host.tcc("eve")
                let evePersona = try e.communities.memberPersona(of: eveTCC, in: id)
                let wrongManifest = try CommunityEvent(
                    community: id, time: a.communities.nowMs, parents: heads,
                    body: .join(manifestHash: Manifest.hash(Array(Self.founding.utf8)), tcc: eveTCC.id, node: e.node.id, evidence: [])
                ).signed(with: try e.host.personaKey(evePersona, of: eveTCC))
                var forged = wrongManifest.envelope.bytes
                forged[forged.count - 40] ^= 1
                let bobTCC = try b.host.tcc("bob")
                let bobPersona = try b.communities.persona(of: bobTCC, in: try b.communities.log(id))
                let doubleVote = try CommunityEvent(community: id, time: a.communities.nowMs, parents: heads, body: .vote(proposal: app.event, yes: true))
                    .signed(with: try b.host.personaKey(bobPersona, of: bobTCC))
                for node in [a, b, c, d] {
                    let before = try node.communities.log(id).order.count
                    for (bytes, code) in [
                        (afterLeaving.envelope.bytes, "notMember"), (wrongManifest.envelope.bytes, "wrongManifest"), (forged, "badSignature"),
                        (doubleVote.envelope.bytes, "closed"),
                    ] {
                        let ack = try await Self.push(bytes, of: id, to: node, from: e)
                        #expect(ack.accepted == 0 && ack.refused.map(\.code) == [code], "\(code) at \(node.node.id.short)")
                    }
                    #expect(try node.communities.log(id).order.count == before)
                }
                // Eve, not a member nor an applicant, may not read the log.
                let closed = await #expect(throws: RequestError.self) {
                    try await e.node.request(Communities.syncFrame(id, heads: []), to: a.node.id)
                }
                #expect(closed?.code == .notAMember)

                // Partition: ada and cyd each act without telling anyone; a sync heals it.
                let adaTCC = try a.host.tcc("ada"), cydTCC = try c.host.tcc("cyd")
                try await a.communities.act(id, as: adaTCC, .action(.role(bobPersona.id, grant: true, name: "admin")), offer: false)
                let proposal = try await c.communities.act(id, as: cydTCC, .propose(.app(add: true, name: "route-map")), offer: false)
                try await c.communities.act(id, as: cydTCC, .vote(proposal: proposal.id, yes: true), offer: false)
                #expect(try a.communities.log(id).state.hash != c.communities.log(id).state.hash)
                for _ in 0..<2 { for node in [a, b, c, d] { await node.communities.syncAll() } }
                // Dan's node, his being gone, is no longer served: it keeps the log as he left it.
                let hashes = try [a, b, c].map { try $0.communities.log(id).state.hash }
                #expect(Set(hashes).count == 1)
                #expect(try d.communities.log(id).order.count == 14)
                let final = try await Self.view(c, id)
                #expect(final.heads.count == 2 && final.events == 17, "\(final.heads.count) heads, \(final.events) events")
                #expect(final.members.first { $0.persona == bobPersona.id }?.roles == ["admin", "member"])
                #expect(final.proposals.first { $0.id == proposal.id }?.yes == 1)
            }
        }
    }
}

extension IntegrationTests.CommunityTests {
    static let club = """
        manifest: 1
        name: step-club
        purpose: How far do we walk, together?
        governance:
          roles: [admin, member]
          decisions:
            manifest: {by: admin}
            roles: {by: admin}
            apps: {by: admin}
            admission: {by: admin}
            suspension: {by: admin}
        joining: {mode: open}
        consent:
          - {stream: steps, answers: [count, mean], min-count: 2}
        access:
          - {who: members, streams: [steps], answers: [count, mean]}
        departure: {export: true, retain: 1h}
        """

    /// Gives `node`'s TCC `records` step records and, unless `policy` is nil, a policy that
    /// lets the community's members ask it (with the policy's own minimum count, if any).
    static func contribute(_ node: APINode, tcc: String, records: Int, community: TCCID, minimumCount: Int? = nil, policy: Bool = true) async throws {
        let added: AddedDevice = try await node.owner.post("/v1/tccs/\(tcc)/devices", AddDeviceRequest(name: "phone", streams: ["steps"]))
        let phone = OwnerAPIClient(endpoint: node.owner.endpoint, token: added.token)
        let pushed = try await IntegrationTests.DataStoreTests.push(IntegrationTests.DataStoreTests.steps(0..<records), as: phone, batch: "steps")
        #expect(pushed.status == 201)
        guard policy else { return }
        let yaml = """
            version: 1
            rules:
              - id: club
                effect: permit
                principals: [{members-of: \(community)}]
                actions: [answer]
                streams: [steps]
                answers: [count, mean]
            \(minimumCount.map { "    min-count: \($0)" } ?? "")
            """
        let _: PolicyRecord = try await node.owner.send(.PUT, "/v1/tccs/\(tcc)/policies/club", json: SetPolicyRequest(yaml: yaml))
    }

    /// A question to the community goes to every consenting member's node; each answers as
    /// the consent and its owner's policy both allow; the asker combines at least k answers,
    /// counts every refusal, keeps the answers, and forgets a leaver's when the manifest says.
    @Test func communityAnswersCombineWhatMembersAllowAndForgetLeavers() async throws {
        try await Self.withFiveNodes { nodes in
            let (a, b, c, d, e) = (nodes[0], nodes[1], nodes[2], nodes[3], nodes[4])
            let created: CommunityView = try await a.owner.post("/v1/communities", CreateCommunityRequest(tcc: "ada", manifest: Self.club))
            let id = created.id
            for (node, person) in [(b, "bob"), (c, "cyd"), (d, "dan"), (e, "eve")] {
                let _: CommunityView = try await node.owner.post("/v1/communities/\(id)/join", JoinCommunityRequest(tcc: person, via: a.node.id))
            }
            try await NodeHarness.eventually("bob's replica has all five") { (try? await Self.view(b, id))?.members.count == 5 }
            try await Self.contribute(a, tcc: "ada", records: 30, community: id)
            try await Self.contribute(b, tcc: "bob", records: 40, community: id, minimumCount: 50)  // his own rule is stricter
            try await Self.contribute(c, tcc: "cyd", records: 1, community: id)  // under the consent's 2
            try await Self.contribute(d, tcc: "dan", records: 60, community: id, policy: false)  // his default deny
            try await Self.contribute(e, tcc: "eve", records: 10, community: id)

            let count: CommunityAskResult = try await b.owner.post("/v1/communities/\(id)/asks", CommunityAskRequest(tcc: "bob", module: "count", stream: "steps"))
            #expect(count.number == 40 && count.asked == 5 && count.answered == 2 && count.minimumMembers == 2)
            #expect(
                count.replies.map(\.outcome).sorted() == ["answer", "answer", "denied", "tooFewRecords", "tooFewRecords"],
                "\(count.replies.map { "\($0.outcome): \($0.reason ?? "")" })")
            #expect(count.replies.filter { $0.outcome == "answer" }.compactMap(\.number).sorted() == [10, 30])
            // Each answer is the member TCC's own signature over the asker's query.
            let tccs = Dictionary(uniqueKeysWithValues: try await Self.view(b, id).members.map { ($0.persona, $0.tcc) })
            for reply in count.replies where reply.outcome == "answer" {
                let envelope = try Envelope.open(Array(try #require(reply.envelope)), expecting: Answer.type)
                #expect(envelope.signer.rawRepresentation == tccs[reply.member]?.bytes)
            }
            let notAllowed = await refusal {
                let _: CommunityAskResult = try await b.owner.post("/v1/communities/\(id)/asks", CommunityAskRequest(tcc: "bob", module: "histogram", stream: "steps"))
            }
            #expect(notAllowed?.status == 403 && notAllowed?.code == "notAllowed")  // not in the manifest's access
            let uncombinable = await refusal {
                let _: CommunityAskResult = try await b.owner.post(
                    "/v1/communities/\(id)/asks", CommunityAskRequest(tcc: "bob", module: "quantiles", stream: "steps", numbers: [0.5]))
            }
            #expect(uncombinable?.status == 400 && uncombinable?.code == "invalidQuestion")

            // Eve leaves: she is no longer asked, and below k the aggregate is withheld.
            let evePersona = try #require(try await Self.view(e, id).members.first { $0.node == e.node.id }).persona
            let _: CommunityEventResult = try await e.owner.post("/v1/communities/\(id)/leave", CommunityMemberRequest(tcc: "eve"))
            try await NodeHarness.eventually("bob sees eve gone") {
                (try? await Self.view(b, id))?.members.first { $0.persona == evePersona }?.status == "left"
            }
            let after: CommunityAskResult = try await b.owner.post("/v1/communities/\(id)/asks", CommunityAskRequest(tcc: "bob", module: "count", stream: "steps"))
            #expect(after.asked == 4 && after.answered == 1 && after.number == nil && after.withheld != nil)
            #expect(!after.replies.contains { $0.member == evePersona })

            // Bob's node keeps eve's answer for the hour the manifest says, then forgets it.
            let kept: [CommunityContributionView] = try await b.owner.get("/v1/communities/\(id)/contributions?member=\(evePersona)")
            #expect(kept.count == 1)
            // Eve, gone, asks for what others keep of her: her own TCC's signed answer, from Bob's node.
            let hers: CommunityKeptResult = try await e.owner.post("/v1/communities/\(id)/kept", CommunityMemberRequest(tcc: "eve"))
            #expect(hers.nodes.first { $0.node == b.node.id }?.answers.count == 1 && hers.failed.isEmpty)
            let eveTCC = try e.host.tcc("eve")
            let answer = try SignedAnswer.open(Array(try #require(hers.nodes.first { $0.node == b.node.id }?.answers.first)))
            #expect(answer.answer.target == eveTCC.id && answer.answer.value == .number(10))
            // Nobody else's node may ask for it.
            var asking = WireFrame()
            asking.communityKeptRequest = .with {
                $0.community = Data(id.bytes)
                $0.member = Data(evePersona.bytes)
            }
            guard case .failure(let other) = await Self.send(asking, from: c, to: b) else { Issue.record("cyd's node got eve's answers"); return }
            #expect(other.code == .notAMember)
            #expect(try b.communities.purgeExpired() == 0)
            for node in nodes { node.clock.advance(3_601) }
            #expect(try b.communities.purgeExpired() == 1)
            let gone: [CommunityContributionView] = try await b.owner.get("/v1/communities/\(id)/contributions?member=\(evePersona)")
            let others: [CommunityContributionView] = try await b.owner.get("/v1/communities/\(id)/contributions")
            #expect(gone.isEmpty && others.count == 2)
            let purged: CommunityKeptResult = try await e.owner.post("/v1/communities/\(id)/kept", CommunityMemberRequest(tcc: "eve"))
            #expect(purged.nodes.allSatisfy { $0.answers.isEmpty })

            // New consent terms (k of 1): until they sign them, the others are not asked.
            let _: CommunityEventResult = try await a.owner.post(
                "/v1/communities/\(id)/actions",
                CommunityActionRequest(tcc: "ada", action: "manifest", manifest: Self.club.replacingOccurrences(of: "min-count: 2", with: "min-count: 1")))
            try await NodeHarness.eventually("bob has the new terms") { (try? await Self.view(b, id))?.version == 2 }
            let terms: CommunityAskResult = try await b.owner.post("/v1/communities/\(id)/asks", CommunityAskRequest(tcc: "bob", module: "count", stream: "steps"))
            #expect(terms.asked == 1 && terms.number == 30 && terms.notConsenting.count == 3)
            let _: CommunityEventResult = try await c.owner.post("/v1/communities/\(id)/consent", CommunityMemberRequest(tcc: "cyd"))
            try await NodeHarness.eventually("bob sees cyd consent") {
                (try? await Self.view(b, id))?.members.filter(\.consenting).count == 2
            }
            let consented: CommunityAskResult = try await b.owner.post("/v1/communities/\(id)/asks", CommunityAskRequest(tcc: "bob", module: "count", stream: "steps"))
            #expect(consented.asked == 2 && consented.number == 31)
        }
    }
}

extension IntegrationTests.CommunityTests {
    /// Sends one community frame from `from` to `to` and returns the answer's body, or the
    /// peer's refusal.
    static func send(_ frame: WireFrame, from: APINode, to: APINode) async -> Result<WireFrame.OneOf_Body?, RequestError> {
        do {
            return .success(try await from.node.request(frame, to: to.node.id).body)
        } catch let error as RequestError {
            return .failure(error)
        } catch {
            return .failure(RequestError(peer: to.node.id, code: nil, message: "\(error)"))
        }
    }

    /// Frames a confused or hostile peer might send: each gets a typed refusal, nothing is
    /// stored, and the node keeps serving the community to its members. A replica restored
    /// from its store folds to the same state.
    @Test func hostileCommunityFramesAreRefusedAndLogsSurviveARestart() async throws {
        let root = NodeHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try await APINode.run(in: root, name: "a") { a in
            try await APINode.run(in: root, name: "b") { b in
                for (node, person) in [(a, "ada"), (b, "bob")] {
                    let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
                    let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: person))
                }
                try await b.node.addPeer(await NodeHarness.address(a.node))
                try await NodeHarness.eventually("b meets a") { await NodeHarness.peers(of: b.node).contains(a.node.id) }
                let created: CommunityView = try await a.owner.post("/v1/communities", CreateCommunityRequest(tcc: "ada", manifest: Self.club))
                let id = created.id
                let unknown = TCCID(uncheckedBytes: [UInt8](repeating: 7, count: 32))

                var describe = WireFrame()
                describe.communityDescribe = .with { $0.community = Data(unknown.bytes) }
                guard case .failure(let notHeld) = await Self.send(describe, from: b, to: a) else { Issue.record("describe of an unknown community answered"); return }
                #expect(notHeld.code == .unknownCommunity)
                describe.communityDescribe = .with { $0.community = Data([1, 2, 3]) }
                guard case .failure(let short) = await Self.send(describe, from: b, to: a) else { Issue.record("a 3-byte community id answered"); return }
                #expect(short.code == .unknownCommunity)

                var push = WireFrame()
                push.communityPush = .with {
                    $0.community = Data(unknown.bytes)
                    $0.events = [Data([0])]
                }
                guard case .failure(let pushUnknown) = await Self.send(push, from: b, to: a) else { Issue.record("a push to an unknown community answered"); return }
                #expect(pushUnknown.code == .unknownCommunity)

                push.communityPush = .with {
                    $0.community = Data(id.bytes)
                    $0.events = Array(repeating: Data([0]), count: 2049)
                }
                guard case .failure(let flood) = await Self.send(push, from: b, to: a) else { Issue.record("2049 events in one push answered"); return }
                #expect(flood.code == .rateLimited)

                // Garbage, an event of another community, and an oversized payload: refused by
                // code, each named by the hash of the bytes sent.
                let other = try CommunityEvent(
                    community: nil, time: 1, parents: [],
                    body: .create(group: .community, tcc: unknown, node: b.node.id, manifest: try ManifestDocument(yaml: Self.club))
                ).signed(with: Ed25519.PrivateKey())
                let garbage: [UInt8] = Array("OMSE".utf8) + [1, 19] + Array("oms/community-event".utf8) + [UInt8](repeating: 0, count: 96) + [0xFF, 0xFF, 0xFF, 0xFF]
                let offered = [garbage, other.envelope.bytes, [UInt8](repeating: 0x41, count: 100)]
                push.communityPush = .with {
                    $0.community = Data(id.bytes)
                    $0.events = offered.map { Data($0) }
                }
                // From outside, one event at a time (its join): three at once are refused unread.
                guard case .failure(let many) = await Self.send(push, from: b, to: a) else { Issue.record("an outsider pushed three events"); return }
                #expect(many.code == .notAMember)
                for (bytes, code) in zip(offered, ["malformed", "wrongCommunity", "malformed"]) {
                    push.communityPush.events = [Data(bytes)]
                    guard case .success(.communityAck(let ack)?) = await Self.send(push, from: b, to: a) else { Issue.record("no ack"); return }
                    #expect(ack.accepted == 0 && ack.refused.map(\.code) == [code])
                    #expect(ack.refused.first?.id == Data(BLAKE2b.hash(bytes, outputLength: 32)))
                }

                // B hosts no member: it may not read the log, whatever heads it claims.
                var sync = Communities.syncFrame(id, heads: [])
                sync.communitySync.heads = (0..<5000).map { _ in Data(SecureRandom.bytes(32)) }
                guard case .failure(let outsider) = await Self.send(sync, from: b, to: a) else { Issue.record("an outsider read the log"); return }
                #expect(outsider.code == .notAMember)
                #expect(try a.communities.log(id).order.count == 1)

                // Still serving: bob joins, and syncs with thousands of unknown heads all the same.
                let _: CommunityView = try await b.owner.post("/v1/communities/\(id)/join", JoinCommunityRequest(tcc: "bob", via: a.node.id))
                guard case .success(.communityEvents(let events)?) = await Self.send(sync, from: b, to: a) else { Issue.record("a member could not sync"); return }
                #expect(events.complete && events.events.count == 2)

                // A replica read back from the store folds to the same state.
                for _ in 0..<3 {
                    let _: CommunityEventResult = try await a.owner.post(
                        "/v1/communities/\(id)/actions", CommunityActionRequest(tcc: "ada", action: "invite", persona: PersonaID(uncheckedBytes: SecureRandom.bytes(32))))
                }
                let restored = try Communities(host: a.host, node: a.node, exchange: a.exchange)
                let before = try a.communities.log(id), after = try restored.log(id)
                #expect(after.order == before.order && after.state.hash == before.state.hash && after.order.count == 5)
            }
        }
    }
}
