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

/// Communities (protocol-spec §15): found one, join one through a node that holds it, decide,
/// propose and vote as a member's persona, and read the replica held here.
extension OwnerAPI {
    func addCommunityRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("communities") { _, _ -> [CommunitySummary] in
            try communityService().ids().compactMap { try? communityService().log($0) }.map(CommunitySummary.init)
        }
        v1.post("communities") { request, context -> EditedResponse<CommunityView> in
            try context.requireOwner()
            let body = try await request.decode(as: CreateCommunityRequest.self, context: context)
            let group: CommunityEvent.Group = try parse("group") {
                switch body.group ?? "community" {
                case "community": return .community
                case "institution": return .institution
                default: throw HostingError(.invalidArgument, "a group is community or institution")
                }
            }
            let manifest = try Self.manifest(body.manifest)
            let log = try await blocking { try communityService().create(manifest: manifest, tcc: try host.tcc(body.tcc), group: group) }
            return EditedResponse(status: .created, response: CommunityView(log))
        }
        v1.get("communities/{community}") { _, context -> CommunityView in
            let communities = try communityService()
            return CommunityView(try communities.log(try communities.resolve(try context.parameter("community"))))
        }
        v1.post("communities/{community}/join") { request, context -> CommunityView in
            try context.requireOwner()
            let reference = try context.parameter("community")
            let community = try Self.communityID(reference)
            let body = try await request.decode(as: JoinCommunityRequest.self, context: context)
            let tcc = try await blocking { try host.tcc(body.tcc) }
            return CommunityView(try await Self.relayed { try await communityService().join(community, via: body.via, as: tcc, evidence: Array(body.evidence ?? Data())) })
        }
        v1.post("communities/{community}/personas") { request, context -> PersonaRecord in
            // The persona a TCC uses (or will use) in a community: what an invitee gives the
            // admin who invites them, before joining.
            try context.requireOwner()
            let reference = try context.parameter("community")
            let community = try Self.communityID(reference)
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            return try await blocking { try communityService().memberPersona(of: try host.tcc(body.tcc), in: community) }
        }
        v1.post("communities/{community}/actions") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let body = try await request.decode(as: CommunityActionRequest.self, context: context)
            let action = try Self.action(body)
            return try await act(context, tcc: body.tcc, body.propose == true ? .propose(action) : .action(action))
        }
        v1.post("communities/{community}/proposals/{proposal}/votes") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let proposal = try Self.objectID(try context.parameter("proposal"))
            let body = try await request.decode(as: VoteRequest.self, context: context)
            return try await act(context, tcc: body.tcc, .vote(proposal: proposal, yes: body.yes))
        }
        v1.post("communities/{community}/proposals/{proposal}/enact") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let proposal = try Self.objectID(try context.parameter("proposal"))
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            return try await act(context, tcc: body.tcc, .enact(proposal: proposal))
        }
        v1.post("communities/{community}/leave") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            return try await act(context, tcc: body.tcc, .leave)
        }
        v1.post("communities/{community}/consent") { request, context -> CommunityEventResult in
            try context.requireOwner()
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"))
            let hash = try communities.log(community).state.manifest?.hash ?? []
            return try await act(context, tcc: body.tcc, .consent(manifestHash: hash))
        }
        v1.post("communities/{community}/asks") { request, context -> CommunityAskResult in
            try context.requireOwner()
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"))
            let body = try await request.decode(as: CommunityAskRequest.self, context: context)
            let question = try parse("question") {
                try Self.question(AskRequest(target: community, node: nil, persona: nil, module: body.module, stream: body.stream, from: body.from, to: body.to,
                    numbers: body.numbers, purpose: body.purpose))
            }
            let tcc = try await blocking { try host.tcc(body.tcc) }
            return CommunityAskResult(try await communities.ask(community, as: tcc, question: question))
        }
        v1.get("communities/{community}/contributions") { request, context -> [CommunityContributionView] in
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"))
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
            let community = try communities.resolve(try context.parameter("community"))
            let body = try await request.decode(as: CommunityMemberRequest.self, context: context)
            let tcc = try await blocking { try host.tcc(body.tcc) }
            let (answers, failed) = try await communities.kept(community, as: tcc)
            return CommunityKeptResult(
                nodes: answers.sorted { $0.key.description < $1.key.description }.map { .init(node: $0.key, answers: $0.value.map { Data($0.envelope.bytes) }) },
                failed: failed.sorted { $0.key.description < $1.key.description }.map { "\($0.key.short): \($0.value)" })
        }
        v1.post("communities/{community}/sync") { _, context -> CommunitySyncResult in
            try context.requireOwner()
            let communities = try communityService()
            let community = try communities.resolve(try context.parameter("community"))
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

    private func act(_ context: APIContext, tcc reference: String, _ body: CommunityEvent.Body) async throws -> CommunityEventResult {
        let communities = try communityService()
        let community = try communities.resolve(try context.parameter("community"))
        let tcc = try await blocking { try host.tcc(reference) }
        let event = try await communities.act(community, as: tcc, body)
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
        default:
            throw APIError(
                .badRequest, code: "invalidArgument",
                "'\(body.action.printable(limit: 32))' is not approve, reject, suspend, reinstate, invite, role, app or manifest")
        }
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
