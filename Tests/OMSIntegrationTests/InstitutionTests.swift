import Foundation
import OMSAPI
import OMSCore
import OMSCrypto
@testable import OMSNode
import OMSProtocol
import OMSStore
import Testing

extension IntegrationTests {
    /// Two communities on five real nodes join an institution, each after its own vote, and
    /// the institution's questions reach their members through the nodes holding the
    /// communities' keys, under the institution's terms, the community's and each owner's.
    @Suite struct InstitutionTests {
        static func community(_ name: String) -> String {
            """
            manifest: 1
            name: \(name)
            purpose: Pool our rides.
            governance:
              roles: [admin, member]
              decisions:
                manifest: {by: majority, period: 1h}
                roles: {by: admin}
                apps: {by: admin}
                admission: {by: admin}
                suspension: {by: admin}
            joining: {mode: open}
            consent:
              - {stream: steps, answers: [count, sum], min-count: 1}
            access:
              - {who: members, streams: [steps], answers: [count]}
            departure: {export: true, retain: 1h}
            """
        }

        /// Communities join by an admin's approval; k is two communities, and each member's
        /// answer needs at least two records, a floor the communities themselves do not set.
        static let alliance = """
            manifest: 1
            name: alliance
            purpose: Cycling clubs of a region compare how much they ride.
            governance:
              roles: [admin, member]
              decisions:
                manifest: {by: admin}
                roles: {by: admin}
                apps: {by: admin}
                admission: {by: admin}
                suspension: {by: admin}
            joining: {mode: approval}
            consent:
              - {stream: steps, answers: [count], min-count: 2}
            access:
              - {who: members, streams: [steps], answers: [count]}
            departure: {export: false, retain: 0d}
            """

        typealias C = IntegrationTests.CommunityTests

        static func view(_ node: APINode, institution: TCCID) async throws -> CommunityView {
            try await node.owner.get("/v1/institutions/\(institution)")
        }

        /// Proposes `action` in `community` from the first of `voters`, has every one vote yes,
        /// and enacts it.
        static func decide(_ community: TCCID, _ request: CommunityActionRequest, voters: [(APINode, String)]) async throws {
            let proposal: CommunityEventResult = try await voters[0].0.owner.post("/v1/communities/\(community)/actions", request)
            for (node, person) in voters {
                try await NodeHarness.eventually("\(person) sees the proposal") {
                    (try? await C.view(node, community))?.proposals.contains { $0.id == proposal.event } == true
                }
                let _: CommunityEventResult = try await node.owner.post(
                    "/v1/communities/\(community)/proposals/\(proposal.event)/votes", VoteRequest(tcc: person, yes: true))
            }
            try await NodeHarness.eventually("every vote reaches the proposer's node") {
                (try? await C.view(voters[0].0, community))?.proposals.first { $0.id == proposal.event }?.yes == voters.count
            }
            let _: CommunityEventResult = try await voters[0].0.owner.post(
                "/v1/communities/\(community)/proposals/\(proposal.event)/enact", CommunityMemberRequest(tcc: voters[0].1))
        }

        @Test func communitiesJoinByVoteAndAnswerThroughTheirKeysUnderEveryLayer() async throws {
            try await C.withFiveNodes { nodes in
                let (a, b, c, d, e) = (nodes[0], nodes[1], nodes[2], nodes[3], nodes[4])
                let north: CommunityView = try await a.owner.post("/v1/communities", CreateCommunityRequest(tcc: "ada", manifest: Self.community("north")))
                let _: CommunityView = try await b.owner.post("/v1/communities/\(north.id)/join", JoinCommunityRequest(tcc: "bob", via: a.node.id))
                let south: CommunityView = try await c.owner.post("/v1/communities", CreateCommunityRequest(tcc: "cyd", manifest: Self.community("south")))
                for (node, person) in [(d, "dan"), (e, "eve")] {
                    let _: CommunityView = try await node.owner.post("/v1/communities/\(south.id)/join", JoinCommunityRequest(tcc: person, via: c.node.id))
                }
                try await NodeHarness.eventually("cyd's replica has south's three members") { (try? await C.view(c, south.id))?.members.count == 3 }
                try await C.contribute(a, tcc: "ada", records: 30, community: north.id)
                try await C.contribute(b, tcc: "bob", records: 40, community: north.id)
                try await C.contribute(c, tcc: "cyd", records: 5, community: south.id)
                try await C.contribute(d, tcc: "dan", records: 1, community: south.id)  // enough for south, not for the alliance
                try await C.contribute(e, tcc: "eve", records: 9, community: south.id, policy: false)  // her default deny

                // Ada's node founds the alliance with north's key; north's members answer nothing
                // for it until north decides to.
                let founded: CommunityView = try await a.owner.post("/v1/institutions", CreateCommunityRequest(tcc: "north", manifest: Self.alliance))
                let alliance = founded.id
                #expect(founded.group == "institution" && founded.members.map(\.tcc) == [north.id])
                let northKey = founded.members[0].persona
                let early: CommunityAskResult = try await a.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "north", module: "count", stream: "steps"))
                #expect(early.replies.map(\.outcome) == ["denied"] && early.number == nil, "\(early.replies.map { $0.reason ?? "" })")
                let asCommunity = await refusal {
                    let _: CommunityView = try await a.owner.get("/v1/communities/\(alliance)")
                }
                #expect(asCommunity?.status == 404)

                // South may not join before its members agree to.
                let premature = await refusal {
                    let _: CommunityView = try await c.owner.post("/v1/institutions/\(alliance)/join", JoinCommunityRequest(tcc: "south", via: a.node.id))
                }
                #expect(premature?.status == 403 && premature?.code == "notAllowed")

                // North votes to affiliate (an admin alone may not: its manifest is decided by vote).
                let alone = await refusal {
                    let _: CommunityEventResult = try await a.owner.post(
                        "/v1/communities/\(north.id)/actions", CommunityActionRequest(tcc: "ada", action: "affiliate", institution: alliance.description))
                }
                #expect(alone?.status == 403 && alone?.code == "notAuthorized")
                try await Self.decide(
                    north.id, CommunityActionRequest(tcc: "ada", action: "affiliate", institution: alliance.description, propose: true),
                    voters: [(a, "ada"), (b, "bob")])
                try await NodeHarness.eventually("bob's replica of north holds the affiliation") {
                    (try? await C.view(b, north.id))?.affiliations.map(\.key) == [northKey]
                }
                // South's, proposed on cyd's node, which holds no replica of the alliance: it
                // reads the manifest agreed to from ada's.
                try await Self.decide(
                    south.id,
                    CommunityActionRequest(tcc: "cyd", action: "affiliate", institution: alliance.description, via: a.node.id, propose: true),
                    voters: [(c, "cyd"), (d, "dan"), (e, "eve")])
                let affiliated = try await C.view(c, south.id).affiliations
                #expect(affiliated.count == 1 && affiliated[0].node == c.node.id && affiliated[0].manifestHash == founded.manifestHash)

                // South's key joins; the alliance's admin (north's key) approves it.
                let applied: CommunityView = try await c.owner.post("/v1/institutions/\(alliance)/join", JoinCommunityRequest(tcc: "south", via: a.node.id))
                let southKey = try #require(applied.applicants.first { $0.tcc == south.id }).persona
                #expect(southKey == affiliated[0].key)
                let _: CommunityEventResult = try await a.owner.post(
                    "/v1/institutions/\(alliance)/actions", CommunityActionRequest(tcc: "north", action: "approve", persona: southKey))
                try await NodeHarness.eventually("south is a member on cyd's replica") {
                    (try? await Self.view(c, institution: alliance))?.members.contains { $0.persona == southKey && $0.status == "active" } == true
                }
                #expect(try await C.view(a, north.id).affiliations.count == 1)

                // The alliance asks: north's members (30 + 40) through ada's node, south's through
                // cyd's: cyd's 5, dan's 1 refused under the alliance's floor of 2, eve by her own policy.
                let count: CommunityAskResult = try await a.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "north", module: "count", stream: "steps"))
                #expect(count.number == 75 && count.asked == 2 && count.answered == 2 && count.minimumMembers == 2, "\(count.replies.map { $0.reason ?? "" })")
                let byCommunity = Dictionary(uniqueKeysWithValues: count.replies.map { ($0.member, $0) })
                #expect(byCommunity[northKey]?.number == 70 && byCommunity[northKey]?.membersAsked == 2 && byCommunity[northKey]?.membersAnswered == 2)
                #expect(byCommunity[southKey]?.number == 5 && byCommunity[southKey]?.membersAsked == 3 && byCommunity[southKey]?.membersAnswered == 1)
                for reply in count.replies {
                    // Each is the community's report, signed by its key in the alliance.
                    let report = try SignedCommunityReport.open(Array(try #require(reply.envelope)))
                    #expect(report.signer == reply.member && report.report.community == (reply.member == northKey ? north.id : south.id))
                }
                // Asked as a community, south counts dan's one record: its own floor is 1.
                let own: CommunityAskResult = try await c.owner.post("/v1/communities/\(south.id)/asks", CommunityAskRequest(tcc: "cyd", module: "count", stream: "steps"))
                #expect(own.number == 6 && own.answered == 2)
                // The same from south's point of view in the alliance: asked on cyd's node, as south.
                let fromSouth: CommunityAskResult = try await c.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "south", module: "count", stream: "steps"))
                #expect(fromSouth.number == 75)

                // Bob's node is north's member but not its key's: ada's node refuses to answer
                // it for the alliance, and the refusal is ada's TCC's.
                let bobTCC = try b.host.tcc("bob")
                let bobPersona = try b.communities.persona(of: bobTCC, in: try b.communities.log(north.id))
                let adaTCC = try a.host.tcc("ada")
                let query = try b.exchange.makeQuery(Exchange.Question(target: adaTCC.id, module: try ModuleName("count"), stream: "steps"), from: bobTCC, as: bobPersona)
                var frame = WireFrame()
                frame.communityQuestion = .with {
                    $0.community = Data(north.id.bytes)
                    $0.query = Data(query.envelope.bytes)
                    $0.institution = Data(alliance.bytes)
                }
                guard case .success(.answer(let response)?) = await C.send(frame, from: b, to: a) else {
                    Issue.record("ada's node did not answer bob's relayed question")
                    return
                }
                let refused = try SignedRefusal.open(Array(response.envelope))
                #expect(refused.refusal.code == .denied && refused.envelope.signer.rawRepresentation == adaTCC.id.bytes)
                // Nor does cyd's node relay a question for north, whose key it does not hold.
                let alienQuery = try a.exchange.makeQuery(
                    Exchange.Question(target: north.id, module: try ModuleName("count"), stream: "steps"), from: adaTCC,
                    as: try a.host.store.persona(northKey)!)
                var alien = WireFrame()
                alien.communityQuestion = .with {
                    $0.community = Data(alliance.bytes)
                    $0.query = Data(alienQuery.envelope.bytes)
                }
                guard case .success(.answer(let relayed)?) = await C.send(alien, from: a, to: c) else {
                    Issue.record("cyd's node did not answer")
                    return
                }
                let notHers = try SignedRefusal.open(Array(relayed.envelope))
                #expect(notHers.refusal.code == .denied && notHers.envelope.signer.rawRepresentation == c.node.id.bytes)

                // North takes its affiliation back: its key's node relays nothing more, and one
                // community is below the alliance's k.
                try await Self.decide(
                    north.id, CommunityActionRequest(tcc: "ada", action: "disaffiliate", institution: alliance.description, propose: true),
                    voters: [(a, "ada"), (b, "bob")])
                let after: CommunityAskResult = try await c.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "south", module: "count", stream: "steps"))
                #expect(after.number == nil && after.withheld != nil && after.answered == 1)
                #expect(after.replies.first { $0.member == northKey }?.outcome == "denied")
            }
        }
    }
}
