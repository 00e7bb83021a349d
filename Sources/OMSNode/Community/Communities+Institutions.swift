import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// Who signs in a log: in a community, a persona of one of this node's TCCs; in an institution,
/// a community's key, held by this node's member TCC of that community. `member` is what a
/// create or join names as the member's tcc: the TCC itself, or the community.
struct Signer: Sendable {
    var tcc: TCCRecord
    var persona: PersonaRecord
    var member: TCCID
}

/// Institutions (protocol-spec §15, "Institutions"): logs whose members are communities, each
/// speaking through the key its own log's affiliation names. This node holds a community's key
/// when one of its TCCs is a member of the community; the key signs the institution's events,
/// and answers the institution's questions with the community's report.
extension Communities {
    /// The key that speaks for `community` in institutions: a persona of this node's member TCC
    /// of it, one per community, made on first use.
    public func key(of community: TCCID) throws -> (tcc: TCCRecord, persona: PersonaRecord) {
        let state = try log(community).state
        guard state.group == .community else {
            throw CommunityHostError(.notAllowed, "\(community.short) is an institution: its members are communities, and it joins none")
        }
        let context = try Name("key-\(Array(community.bytes.prefix(6)).hex)")
        // The same key every time: the member TCC that already holds one, else the least by id.
        let tccs = try state.members.values.filter { $0.node == node.id && $0.status == .active }.map(\.tcc)
            .sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }.compactMap { try host.store.tcc($0) }
        if let holder = try tccs.first(where: { try host.store.persona(tcc: $0.id, context: context) != nil }) ?? tccs.first {
            return (holder, try host.persona(of: holder, context: context))
        }
        throw CommunityHostError(.notMember, "no TCC of this node is an active member of \(community.short): it holds no key for it")
    }

    /// Who signs in `log` for `reference`: one of this node's TCCs in a community, or a community
    /// held here (by id or name) whose key this node holds, in an institution.
    func signer(_ reference: String, in log: CommunityLog) throws -> Signer {
        guard log.state.group == .institution else {
            let tcc = try host.tcc(reference)
            return Signer(tcc: tcc, persona: try persona(of: tcc, in: log), member: tcc.id)
        }
        return try signer(community: try resolve(reference))
    }

    /// Signs an event of `body` in a community or an institution as `reference` (see `signer`).
    @discardableResult
    public func act(_ log: TCCID, by reference: String, _ body: CommunityEvent.Body) async throws -> SignedCommunityEvent {
        try await act(log, as: try signer(reference, in: try self.log(log)), body)
    }

    /// Asks a community or an institution as `reference` (see `signer`).
    public func ask(_ log: TCCID, by reference: String, question: Exchange.Question) async throws -> CommunityAnswer {
        try await ask(log, as: try signer(reference, in: try self.log(log)), question: question)
    }

    func signer(community: TCCID) throws -> Signer {
        let (tcc, persona) = try key(of: community)
        return Signer(tcc: tcc, persona: persona, member: community)
    }

    /// Founds an institution with `community` as its first member; its key signs the create
    /// event. The community's members answer nothing for it until the community's affiliation to
    /// it passes (`affiliation(...)`).
    public func createInstitution(manifest: ManifestDocument, for community: TCCID) throws -> CommunityLog {
        try found(.institution, manifest: manifest, as: try signer(community: community))
    }

    /// The `affiliate` action for `institution`, naming this node's key of `community` and the
    /// institution's manifest in force, read from the replica here or described by `peer`.
    public func affiliation(of community: TCCID, to institution: TCCID, via peer: NodeID?) async throws -> CommunityEvent.Action {
        let (_, key) = try key(of: community)
        let manifest: ManifestDocument
        if let held = logs.withLock({ $0[institution]?.state.manifest }) {
            manifest = held
        } else if let peer {
            manifest = try await describe(institution, via: peer).manifest
        } else {
            throw CommunityHostError(.notFound, "this node holds no institution \(institution.short): name a node that does (--via)")
        }
        return .affiliate(institution: institution, key: key.id, node: node.id, manifestHash: manifest.hash)
    }

    /// Joins `institution` for `community` through `peer`: only once the community's log holds a
    /// passed affiliation naming this node's key and the manifest the peer describes.
    public func joinInstitution(_ institution: TCCID, via peer: NodeID, for community: TCCID) async throws -> CommunityLog {
        try await join(institution, via: peer) { manifest in
            let signer = try self.signer(community: community)
            guard let affiliation = try self.log(community).state.affiliations[institution] else {
                throw CommunityHostError(.notAllowed, "\(community.short) has not decided to join \(institution.short): propose the affiliation first")
            }
            guard affiliation.key == signer.persona.id, affiliation.node == self.node.id else {
                throw CommunityHostError(.notAllowed, "\(community.short)'s affiliation names another key or node: that node joins for it")
            }
            guard affiliation.manifestHash == manifest.hash else {
                throw CommunityHostError(.notAllowed, "the institution's manifest in force is not the one \(community.short) agreed to: propose again")
            }
            return signer
        }
    }

    /// Relays an institution's question to the member community whose key this node holds
    /// (section 15, "Institutions", rules 1 to 4), and answers with the community's report
    /// signed by the key; anything it cannot relay is refused, signed by the node.
    func relay(question bytes: [UInt8], in institution: TCCID, from peer: NodeID) async -> [UInt8] {
        let now = nowMs
        guard let signed = try? SignedQuery.open(bytes) else { return exchange.respond(to: bytes) }
        let query = signed.query
        func refuse(_ reason: String, _ code: RefusalCode = .denied) -> [UInt8] {
            Exchange.refusal(for: signed.id, code: code, rules: [], reason: reason, signer: exchange.nodeIdentity, at: now)
        }
        guard query.expires > now else { return refuse("the question expired", .expired) }
        guard let state = logs.withLock({ $0[institution]?.state }), state.group == .institution else {
            return refuse("this node holds no institution \(institution.short)")
        }
        let module = query.module.rawValue
        guard case .persona(let asker) = query.requester, state.mayAsk(asker, stream: query.stream, module: module) else {
            return refuse("the asker is not a member whom the institution's manifest lets ask \(module) of \(query.stream)")
        }
        let community = query.target
        guard let (member, _) = state.members.first(where: { $0.value.tcc == community && $0.value.node == node.id && $0.value.status == .active }),
            state.consents(member), let key = try? key(of: community), key.persona.id == member
        else {
            return refuse("\(community.short) is not a consenting member of the institution whose key this node holds")
        }
        guard let affiliation = logs.withLock({ $0[community]?.state.affiliations[institution] }), affiliation.key == member,
            affiliation.node == node.id
        else {
            return refuse("\(community.short) is not affiliated to the institution through this node")
        }
        guard let terms = state.terms(stream: query.stream, module: module) else {
            return refuse("the institution's consent does not cover \(module) of \(query.stream)")
        }
        do {
            let inCommunity = Signer(tcc: key.tcc, persona: try persona(of: key.tcc, in: try log(community)), member: key.tcc.id)
            let question = Exchange.Question(
                target: community, module: query.module, stream: query.stream, window: query.window, numbers: query.numbers, region: query.region,
                purpose: query.purpose, lifetime: query.expires - now)
            let via = InstitutionTerms(
                institution: institution, conditions: PolicyRule.Conditions(minimumCount: terms.minimumCount, epsilon: terms.epsilon, budget: terms.budget))
            let answer = try await ask(community, as: inCommunity, question: question, via: via)
            let report = try CommunityReport(
                query: signed.id, community: community, reported: nowMs, asked: UInt32(answer.replies.count),
                answered: UInt32(answer.replies.count { $0.value != nil }), value: answer.value, reason: (answer.withheld ?? "").printable(limit: 200))
            return report.signed(with: try host.personaKey(key.persona, of: key.tcc)).envelope.bytes
        } catch {
            return refuse("the community could not be asked: \(error)".printable(limit: Refusal.maximumReasonLength))
        }
    }
}
