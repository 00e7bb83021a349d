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

        /// Sends a `CommunityQuestion` from `from` to `to` and opens what comes back as a refusal
        /// (nil when it is not one).
        static func refusalFor(_ frame: WireFrame, from: APINode, to: APINode) async throws -> SignedRefusal? {
            guard case .success(.answer(let response)?) = await C.send(frame, from: from, to: to) else { return nil }
            return try? SignedRefusal.open(Array(response.envelope))
        }

        static func question(_ query: SignedQuery, in log: TCCID, institution: TCCID? = nil) -> WireFrame {
            var frame = WireFrame()
            frame.communityQuestion = .with {
                $0.community = Data(log.bytes)
                $0.query = Data(query.envelope.bytes)
                if let institution { $0.institution = Data(institution.bytes) }
            }
            return frame
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
                try await C.contribute(d, tcc: "dan", records: 3, community: south.id)
                try await C.contribute(e, tcc: "eve", records: 1, community: south.id)  // enough for south, not for the alliance

                // Ada's node founds the alliance with north's key; north's members answer nothing
                // for it until north decides to, and its key may not even ask.
                let founded: CommunityView = try await a.owner.post("/v1/institutions", CreateCommunityRequest(tcc: "north", manifest: Self.alliance))
                let alliance = founded.id
                #expect(founded.group == "institution" && founded.members.map(\.tcc) == [north.id])
                let northKey = founded.members[0].persona
                let early = await refusal {
                    let _: CommunityAskResult = try await a.owner.post(
                        "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "north", module: "count", stream: "steps"))
                }
                #expect(early?.status == 403 && early?.code == "notAllowed")
                let asCommunity = await refusal { let _: CommunityView = try await a.owner.get("/v1/communities/\(alliance)") }
                #expect(asCommunity?.status == 404)
                // Nothing in a log tells a person from a community: the nodes do.
                let personJoins = await refusal {
                    let _: CommunityView = try await e.owner.post("/v1/communities/\(alliance)/join", JoinCommunityRequest(tcc: "eve", via: a.node.id))
                }
                #expect(personJoins?.status == 400 && personJoins?.code == "wrongGroup")
                let toACommunity = await refusal {
                    let _: CommunityEventResult = try await a.owner.post(
                        "/v1/communities/\(north.id)/actions", CommunityActionRequest(tcc: "ada", action: "affiliate", institution: south.id, via: c.node.id, propose: true))
                }
                #expect(toACommunity?.status == 400 && toACommunity?.code == "wrongGroup")

                // South may not join before its members agree to.
                let premature = await refusal {
                    let _: CommunityView = try await c.owner.post("/v1/institutions/\(alliance)/join", JoinCommunityRequest(tcc: "south", via: a.node.id))
                }
                #expect(premature?.status == 403 && premature?.code == "notAllowed")

                // North votes to affiliate (an admin alone may not: its manifest is decided by vote).
                let alone = await refusal {
                    let _: CommunityEventResult = try await a.owner.post(
                        "/v1/communities/\(north.id)/actions", CommunityActionRequest(tcc: "ada", action: "affiliate", institution: alliance))
                }
                #expect(alone?.status == 403 && alone?.code == "notAuthorized")
                try await Self.decide(
                    north.id, CommunityActionRequest(tcc: "ada", action: "affiliate", institution: alliance, propose: true), voters: [(a, "ada"), (b, "bob")])
                try await NodeHarness.eventually("bob's replica of north holds the affiliation") {
                    (try? await C.view(b, north.id))?.affiliations.map(\.key) == [northKey]
                }
                // South's, proposed on cyd's node, which holds no replica of the alliance: it
                // reads the manifest agreed to from ada's.
                try await Self.decide(
                    south.id, CommunityActionRequest(tcc: "cyd", action: "affiliate", institution: alliance, via: a.node.id, propose: true),
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

                // The alliance asks: north's members (30 + 40) through ada's node, south's through
                // cyd's: cyd's 5 and dan's 3, eve's 1 refused under the alliance's floor of 2.
                let count: CommunityAskResult = try await a.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "north", module: "count", stream: "steps"))
                #expect(count.number == 78 && count.asked == 2 && count.answered == 2 && count.minimumMembers == 2, "\(count.replies.map { $0.reason ?? "" })")
                let byCommunity = Dictionary(uniqueKeysWithValues: count.replies.map { ($0.member, $0) })
                #expect(byCommunity[northKey]?.number == 70 && byCommunity[northKey]?.membersAsked == 2 && byCommunity[northKey]?.membersAnswered == 2)
                #expect(byCommunity[southKey]?.number == 8 && byCommunity[southKey]?.membersAsked == 3 && byCommunity[southKey]?.membersAnswered == 2)
                for reply in count.replies {
                    // Each is the community's report, signed by its key in the alliance.
                    let report = try SignedCommunityReport.open(Array(try #require(reply.envelope)))
                    #expect(report.signer == reply.member && report.report.community == (reply.member == northKey ? north.id : south.id))
                }
                // Asked as a community, south counts eve's one record: its own floor is 1.
                let own: CommunityAskResult = try await c.owner.post("/v1/communities/\(south.id)/asks", CommunityAskRequest(tcc: "cyd", module: "count", stream: "steps"))
                #expect(own.number == 9 && own.answered == 3)
                let fromSouth: CommunityAskResult = try await c.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "south", module: "count", stream: "steps"))
                #expect(fromSouth.number == 78)

                // Hostile and replayed questions. Bob's node is north's member but holds no key:
                // ada's node answers nothing of his for the alliance, signed by ada's TCC.
                let bobTCC = try b.host.tcc("bob")
                let bobPersona = try b.communities.persona(of: bobTCC, in: try b.communities.log(north.id))
                let adaTCC = try a.host.tcc("ada")
                let bobs = try b.exchange.makeQuery(Exchange.Question(target: adaTCC.id, module: try ModuleName("count"), stream: "steps"), from: bobTCC, as: bobPersona)
                let notTheKey = try #require(try await Self.refusalFor(Self.question(bobs, in: north.id, institution: alliance), from: b, to: a))
                #expect(notTheKey.refusal.code == .denied && notTheKey.envelope.signer.rawRepresentation == adaTCC.id.bytes)
                #expect(notTheKey.refusal.reason.contains("asking key and node"), "\(notTheKey.refusal.reason)")
                // North's key asks south through cyd's node: answered once, then refused as replayed;
                // the same question sent by another node is the asker's word on a node not its own.
                let northKeyRecord = try #require(try a.host.store.persona(northKey))
                let toSouth = try a.exchange.makeQuery(
                    Exchange.Question(target: south.id, module: try ModuleName("count"), stream: "steps"), from: adaTCC, as: northKeyRecord)
                guard case .success(.answer(let first)?) = await C.send(Self.question(toSouth, in: alliance), from: a, to: c) else {
                    Issue.record("cyd's node did not relay")
                    return
                }
                #expect(try SignedCommunityReport.open(Array(first.envelope)).report.value == .number(8))
                let replayed = try #require(try await Self.refusalFor(Self.question(toSouth, in: alliance), from: a, to: c))
                #expect(replayed.refusal.code == .replayed && replayed.envelope.signer.rawRepresentation == c.node.id.bytes)
                let again = try a.exchange.makeQuery(
                    Exchange.Question(target: south.id, module: try ModuleName("count"), stream: "steps"), from: adaTCC, as: northKeyRecord)
                let forwarded = try #require(try await Self.refusalFor(Self.question(again, in: alliance), from: b, to: c))
                #expect(forwarded.refusal.code == .denied && forwarded.refusal.reason.contains("sending node"), "\(forwarded.refusal.reason)")
                // Cyd's node relays nothing for north, whose key it does not hold.
                let alienQuery = try a.exchange.makeQuery(
                    Exchange.Question(target: north.id, module: try ModuleName("count"), stream: "steps"), from: adaTCC, as: northKeyRecord)
                let notHers = try #require(try await Self.refusalFor(Self.question(alienQuery, in: alliance), from: a, to: c))
                #expect(notHers.refusal.code == .denied && notHers.envelope.signer.rawRepresentation == c.node.id.bytes)
                #expect(notHers.refusal.reason.contains("whose key this node holds"), "\(notHers.refusal.reason)")

                // North's key, the alliance's admin, changes its consent terms alone. Neither
                // community answers under terms its members did not agree to: north's relay
                // refuses, south's key is not consenting and may not consent by itself.
                let amended = Self.alliance.replacingOccurrences(of: "answers: [count], min-count: 2", with: "answers: [count, sum], min-count: 2")
                let _: CommunityEventResult = try await a.owner.post(
                    "/v1/institutions/\(alliance)/actions", CommunityActionRequest(tcc: "north", action: "manifest", manifest: amended))
                try await NodeHarness.eventually("cyd's replica has the new terms") { (try? await Self.view(c, institution: alliance))?.version == 2 }
                let unagreed: CommunityAskResult = try await a.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "north", module: "count", stream: "steps"))
                #expect(unagreed.number == nil && unagreed.notConsenting == [southKey] && unagreed.replies.map(\.outcome) == ["denied"])
                let byKeyAlone = await refusal {
                    let _: CommunityEventResult = try await c.owner.post("/v1/institutions/\(alliance)/consent", CommunityMemberRequest(tcc: "south"))
                }
                #expect(byKeyAlone?.status == 403 && byKeyAlone?.code == "notAllowed")
                // Each community's members agree to the new terms; then south's key consents.
                try await Self.decide(
                    south.id, CommunityActionRequest(tcc: "cyd", action: "affiliate", institution: alliance, propose: true),
                    voters: [(c, "cyd"), (d, "dan"), (e, "eve")])
                let _: CommunityEventResult = try await c.owner.post("/v1/institutions/\(alliance)/consent", CommunityMemberRequest(tcc: "south"))
                try await Self.decide(
                    north.id, CommunityActionRequest(tcc: "ada", action: "affiliate", institution: alliance, propose: true), voters: [(a, "ada"), (b, "bob")])
                try await NodeHarness.eventually("ada's replica sees south consent") {
                    (try? await Self.view(a, institution: alliance))?.members.allSatisfy(\.consenting) == true
                }
                let agreed: CommunityAskResult = try await a.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "north", module: "count", stream: "steps"))
                #expect(agreed.number == 78)

                // North takes its affiliation back: its key may no longer ask, its node relays
                // nothing more, and one community is below the alliance's k.
                try await Self.decide(
                    north.id, CommunityActionRequest(tcc: "ada", action: "disaffiliate", institution: alliance, propose: true), voters: [(a, "ada"), (b, "bob")])
                let gone = await refusal {
                    let _: CommunityAskResult = try await a.owner.post(
                        "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "north", module: "count", stream: "steps"))
                }
                #expect(gone?.status == 403 && gone?.code == "notAllowed")
                let after: CommunityAskResult = try await c.owner.post(
                    "/v1/institutions/\(alliance)/asks", CommunityAskRequest(tcc: "south", module: "count", stream: "steps"))
                #expect(after.number == nil && after.withheld != nil && after.answered == 1)
                #expect(after.replies.first { $0.member == northKey }?.outcome == "denied")
            }
        }
    }
}
