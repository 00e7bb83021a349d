import Foundation
import Hummingbird
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

extension CommunityView: ResponseEncodable {}
extension CommunitySummary: ResponseEncodable {}
extension CommunityEventResult: ResponseEncodable {}
extension CommunitySyncResult: ResponseEncodable {}
extension CommunityAskResult: ResponseEncodable {}
extension CommunityContributionView: ResponseEncodable {}
extension CommunityKeptResult: ResponseEncodable {}

/// Communities and institutions (protocol-spec §15): found one, join one through a node that
/// holds it, decide, propose and vote, and read the replica held here. The same routes serve
/// both under `/v1/communities` and `/v1/institutions`; who acts (`tcc` in a body) is one of
/// this node's TCCs in a community, and a community whose key this node holds in an institution.
extension OwnerAPI {
    func addCommunityRoutes(_ v1: RouterGroup<APIContext>) {
        addLogRoutes(v1, .community)
        addLogRoutes(v1, .institution)
        v1.post("communities/{community}/personas") { request, context -> PersonaRecord in
            // The persona a TCC uses (or will use) in a community: what an invitee gives the
            // admin who invites them, before joining.
            try context.requireOwner()
            let reference = try context.parameter("community")
            let community = try Self.communityID(reference)
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            return try await blocking { try communityService().memberPersona(of: try host.tcc(body.tcc), in: community) }
        }
        v1.get("communities/{community}/contributions") { request, context -> [CommunityContributionView] in
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"), group: .community)
            let member = try parse("member") { () throws -> PersonaID? in
                guard let text = request.uri.queryParameters.get("member") else { return nil }
                guard let id = PersonaID(text) else { throw HostingError(.invalidArgument, "a member is a persona id (persona1...)") }
                return id
            }
            return try host.store.contributions(community, member: member).map {
                CommunityContributionView(member: $0.member, question: $0.question, at: Date(milliseconds: UInt64(max(0, $0.at))), envelope: Data($0.envelope))
            }
        }
        v1.post("communities/{community}/kept") { request, context -> CommunityKeptResult in
            // Asks other nodes over the wire: owner scope, like any request sent in the TCC's name.
            try context.requireOwner()
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"), group: .community)
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            let tcc = try await blocking { try host.tcc(body.tcc) }
            let (answers, failed) = try await communities.kept(community, as: tcc)
            return CommunityKeptResult(
                nodes: answers.sorted { $0.key.description < $1.key.description }.map { .init(node: $0.key, answers: $0.value.map { Data($0.envelope.bytes) }) },
                failed: failed.sorted { $0.key.description < $1.key.description }.map { "\($0.key.short): \($0.value)" })
        }
    }

    private func addLogRoutes(_ v1: RouterGroup<APIContext>, _ group: CommunityEvent.Group) {
        let root = group == .community ? "communities" : "institutions"
        v1.get("\(root)") { _, _ -> [CommunitySummary] in
            let communities = try communityService()
            return communities.ids().compactMap { try? communities.log($0) }.filter { $0.state.group == group }.map(CommunitySummary.init)
        }
        v1.post("\(root)") { request, context -> EditedResponse<CommunityView> in
            try context.requireOwner()
            let body = try await request.decode(as: CreateCommunityRequest.self, context: context)
            let manifest = try Self.manifest(body.manifest)
            let communities = try communityService()
            let log = try await blocking {
                group == .community
                    ? try communities.create(manifest: manifest, tcc: try host.tcc(body.tcc))
                    : try communities.createInstitution(manifest: manifest, for: try communities.resolve(body.tcc, group: .community))
            }
            return EditedResponse(status: .created, response: CommunityView(log))
        }
        v1.get("\(root)/{community}") { _, context -> CommunityView in
            let communities = try communityService()
            return CommunityView(try communities.log(try communities.resolve(try context.parameter("community"), group: group)))
        }
        v1.post("\(root)/{community}/join") { request, context -> CommunityView in
            try context.requireOwner()
            let id = try Self.communityID(try context.parameter("community"))
            let body = try await request.decode(as: JoinCommunityRequest.self, context: context)
            let communities = try communityService()
            guard group == .institution else {
                let tcc = try await blocking { try host.tcc(body.tcc) }
                return CommunityView(try await Self.relayed { try await communities.join(id, via: body.via, as: tcc, evidence: Array(body.evidence ?? Data())) })
            }
            let community = try communities.resolve(body.tcc, group: .community)
            return CommunityView(try await Self.relayed { try await communities.joinInstitution(id, via: body.via, for: community) })
        }
        v1.post("\(root)/{community}/actions") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let body = try await request.decode(as: CommunityActionRequest.self, context: context)
            let action: CommunityEvent.Action
            if body.action == "affiliate" {
                guard group == .community else {
                    throw APIError(.badRequest, code: "invalidArgument", "only a community affiliates, to an institution")
                }
                let communities = try communityService()
                let institution = try Self.institution(body)
                let community = try communities.resolve(try context.parameter("community"), group: .community)
                action = try await Self.relayed { try await communities.affiliation(of: community, to: institution, via: body.via) }
            } else {
                action = try Self.action(body)
            }
            return try await act(context, group, by: body.tcc, body.propose == true ? .propose(action) : .action(action))
        }
        v1.post("\(root)/{community}/proposals/{proposal}/votes") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let proposal = try Self.objectID(try context.parameter("proposal"))
            let body = try await request.decode(as: VoteRequest.self, context: context)
            return try await act(context, group, by: body.tcc, .vote(proposal: proposal, yes: body.yes))
        }
        v1.post("\(root)/{community}/proposals/{proposal}/enact") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let proposal = try Self.objectID(try context.parameter("proposal"))
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            return try await act(context, group, by: body.tcc, .enact(proposal: proposal))
        }
        v1.post("\(root)/{community}/leave") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            return try await act(context, group, by: body.tcc, .leave)
        }
        v1.post("\(root)/{community}/consent") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"), group: group)
            let hash = try communities.log(community).state.manifest?.hash ?? []
            return try await act(context, group, by: body.tcc, .consent(manifestHash: hash))
        }
        v1.post("\(root)/{community}/asks") { request, context -> CommunityAskResult in
            try context.requireOwner()
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"), group: group)
            let body = try await request.decode(as: CommunityAskRequest.self, context: context)
            let question = try parse("question") {
                try Self.question(AskRequest(target: community, node: nil, persona: nil, module: body.module, stream: body.stream, from: body.from, to: body.to,
                    numbers: body.numbers, purpose: body.purpose))
            }
            return CommunityAskResult(try await communities.ask(community, by: body.tcc, question: question))
        }
        v1.post("\(root)/{community}/sync") { _, context -> CommunitySyncResult in
            try context.requireOwner()
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"), group: group)
            var received = 0
            var failed: [String] = []
            for peer in await node.connectedPeers() where try communities.log(community).state.mayRead(node: peer) {
                do {
                    received += try await communities.sync(community, from: peer)
                } catch {
                    failed.append("\(peer.short): \(error)")
                }
            }
            return CommunitySyncResult(received: received, stateHash: try communities.log(community).state.hash.hex, failed: failed)
        }
    }

    func communityService() throws -> Communities {
        guard let communities else { throw APIError(.serviceUnavailable, code: "unavailable", "this node does not replicate communities") }
        return communities
    }

    private func act(_ context: APIContext, _ group: CommunityEvent.Group, by reference: String, _ body: CommunityEvent.Body) async throws
        -> CommunityEventResult
    {
        let communities = try communityService()
        let community = try communities.resolve(try context.parameter("community"), group: group)
        let event = try await communities.act(community, by: reference, body)
        return CommunityEventResult(event: event.id, kind: "\(body.kind)", stateHash: try communities.log(community).state.hash.hex)
    }

    static func manifest(_ yaml: String) throws -> ManifestDocument {
        do {
            return try ManifestDocument(yaml: yaml)
        } catch {
            throw APIError(.unprocessableContent, code: "invalidManifest", error.description)
        }
    }

    /// A community named by its id, where a name will not do (it may not be held here yet).
    static func communityID(_ text: String) throws -> TCCID {
        try parse("community") { () throws -> TCCID in
            guard let id = TCCID(text) else { throw HostingError(.invalidArgument, "a community is named here by its id (tcc1...)") }
            return id
        }
    }

    static func objectID(_ text: String) throws -> ObjectID {
        try parse("proposal") { () throws -> ObjectID in
            guard let id = ObjectID(text) else { throw HostingError(.invalidArgument, "a proposal is named by its event id (obj1...)") }
            return id
        }
    }

    static func action(_ body: CommunityActionRequest) throws -> CommunityEvent.Action {
        func persona() throws -> PersonaID {
            guard let persona = body.persona else { throw APIError(.badRequest, code: "invalidArgument", "\(body.action) needs a persona") }
            return persona
        }
        func name() throws -> String {
            guard let name = body.name else { throw APIError(.badRequest, code: "invalidArgument", "\(body.action) needs a name") }
            return name
        }
        switch body.action {
        case "approve": return .approve(try persona())
        case "reject": return .reject(try persona(), reason: body.reason ?? "")
        case "suspend": return .suspend(try persona(), reason: body.reason ?? "")
        case "reinstate": return .reinstate(try persona())
        case "invite": return .invite(try persona())
        case "role": return .role(try persona(), grant: body.grant ?? true, name: try name())
        case "app": return .app(add: body.grant ?? true, name: try name())
        case "manifest":
            guard let yaml = body.manifest else { throw APIError(.badRequest, code: "invalidArgument", "manifest needs the new manifest") }
            return .manifest(try manifest(yaml))
        case "disaffiliate": return .disaffiliate(institution: try institution(body))
        default:
            throw APIError(
                .badRequest, code: "invalidArgument",
                "'\(body.action.printable(limit: 32))' is not approve, reject, suspend, reinstate, invite, role, app, manifest, affiliate or disaffiliate")
        }
    }

    static func institution(_ body: CommunityActionRequest) throws -> TCCID {
        guard let institution = body.institution else {
            throw APIError(.badRequest, code: "invalidArgument", "\(body.action) needs the institution's id (institution: tcc1...)")
        }
        return institution
    }

    /// Runs a request that talks to another node: what that node refused comes back as 502
    /// with its code, and the community log's own refusals as 409.
    static func relayed<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RequestError {
            throw APIError(.badGateway, code: error.code.map { "\($0)" } ?? "notDelivered", error.description)
        }
    }
}
