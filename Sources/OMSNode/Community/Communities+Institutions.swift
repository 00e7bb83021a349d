import Foundation
import NIOPosix
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Synchronization

/// Institutions (protocol-spec §15, "Institutions"): logs whose members are communities, each
/// speaking through the key its own log's affiliation names. This node holds a community's key
/// when one of its TCCs is a member of the community; the key signs the institution's events
/// and the community's reports, and only while the community's affiliation names it.
extension Communities {
    /// The most institution questions this node relays at once: each fans out to a community's
    /// members, so they are capped apart from the per-peer budgets.
    static let maximumRelays = 8

    /// The key that speaks for `community` in institutions: a persona of this node's member TCC
    /// of it, one per community. Made only where a key is given out (founding an institution,
    /// proposing an affiliation); everywhere else a node without one holds no key.
    public func key(of community: TCCID, create: Bool = false) throws -> (tcc: TCCRecord, persona: PersonaRecord) {
        let state = try log(community).state
        guard state.group == .community else {
            throw CommunityHostError(.wrongGroup, "\(community.short) is an institution: its members are communities, and it joins none")
        }
        let context = try Name("key-\(Array(community.bytes.prefix(6)).hex)")
        // The same key every time: the member TCC that already holds one, else the least by id.
        let tccs = try state.members.values.filter { $0.node == node.id && $0.status == .active }.map(\.tcc)
            .sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }.compactMap { try host.store.tcc($0) }
        for tcc in tccs {
            if let persona = try host.store.persona(tcc: tcc.id, context: context) { return (tcc, persona) }
        }
        guard create, let holder = tccs.first else {
            throw CommunityHostError(.notMember, "this node holds no key of \(community.short): no active member's TCC here has one")
        }
        return (holder, try host.persona(of: holder, context: context))
    }

    /// Who signs in `log` for `reference`: one of this node's TCCs in a community; in an
    /// institution, a community held here (by id or name) whose affiliation names this node's
    /// key, for anything but its `leave` (`kind` nil: a question).
    func signer(_ reference: String, in log: CommunityLog, for kind: CommunityEvent.Kind?) throws -> Signer {
        guard log.state.group == .institution else { return try signer(try host.tcc(reference), in: log) }
        let community = try resolve(reference, group: .community)
        let (tcc, persona) = try key(of: community)
        let signer = Signer(tcc: tcc, persona: persona, member: community)
        guard kind != .leave else { return signer }
        guard let affiliation = try self.log(community).state.affiliations[log.community], affiliation.key == persona.id,
            affiliation.node == node.id
        else {
            throw CommunityHostError(
                .notAllowed, "\(community.short) does not answer to \(log.community.short) through this node's key (its affiliation says otherwise): only its leave")
        }
        if kind == .consent, affiliation.manifestHash != log.state.manifest?.hash {
            throw CommunityHostError(
                .notAllowed, "\(community.short) agreed to another manifest of \(log.community.short): its members decide the new terms first (affiliate again)")
        }
        return signer
    }

    /// Signs an event of `body` in a community or an institution as `reference` (see `signer`).
    @discardableResult
    public func act(_ log: TCCID, by reference: String, _ body: CommunityEvent.Body) async throws -> SignedCommunityEvent {
        let signer = try await NIOThreadPool.singleton.runIfActive { try self.signer(reference, in: try self.log(log), for: body.kind) }
        return try await act(log, as: signer, body)
    }

    /// Asks a community or an institution as `reference` (see `signer`).
    public func ask(_ log: TCCID, by reference: String, question: Exchange.Question) async throws -> CommunityAnswer {
        let signer = try await NIOThreadPool.singleton.runIfActive { try self.signer(reference, in: try self.log(log), for: nil) }
        return try await ask(log, as: signer, question: question)
    }

    /// Founds an institution with `community` as its first member; its key signs the create
    /// event. The community's members answer nothing for it until the community's affiliation to
    /// it passes (`affiliation(...)`).
    public func createInstitution(manifest: ManifestDocument, for community: TCCID) throws -> CommunityLog {
        let (tcc, persona) = try key(of: community, create: true)
        return try found(.institution, manifest: manifest, as: Signer(tcc: tcc, persona: persona, member: community))
    }

    /// The `affiliate` action for `institution`, naming this node's key of `community` and the
    /// institution's manifest in force, read from the replica here or described by `peer`.
    public func affiliation(of community: TCCID, to institution: TCCID, via peer: NodeID?) async throws -> CommunityEvent.Action {
        let (_, key) = try await NIOThreadPool.singleton.runIfActive { try self.key(of: community, create: true) }
        let group: CommunityEvent.Group
        let manifest: ManifestDocument?
        if let held = logs.withLock({ $0[institution]?.state }) {
            if let member = held.members.first(where: { $0.value.tcc == community && $0.value.status != .left }), member.key != key.id {
                // Founded, or joined, with another node's key: that node must propose it.
                throw CommunityHostError(
                    .notAllowed, "\(community.short) is in \(institution.short) through node \(member.value.node.short)'s key: propose it there")
            }
            (group, manifest) = (held.group, held.manifest)
        } else if let peer {
            let described = try await describe(institution, via: peer)
            (group, manifest) = (described.group, described.manifest)
        } else {
            throw CommunityHostError(.notFound, "this node holds no institution \(institution.short): name a node that does (--via)")
        }
        guard group == .institution, let manifest else {
            throw CommunityHostError(.wrongGroup, "\(institution.short) is a community: a community affiliates only to an institution")
        }
        return .affiliate(institution: institution, key: key.id, node: node.id, manifestHash: manifest.hash)
    }

    /// Joins `institution` for `community` through `peer`: only once the community's log holds a
    /// passed affiliation naming this node's key and the manifest the peer describes.
    public func joinInstitution(_ institution: TCCID, via peer: NodeID, for community: TCCID) async throws -> CommunityLog {
        try await join(institution, via: peer, group: .institution) { manifest in
            guard let affiliation = try self.log(community).state.affiliations[institution] else {
                throw CommunityHostError(.notAllowed, "\(community.short) has not decided to join \(institution.short): propose the affiliation first")
            }
            let (tcc, key) = try self.key(of: community)
            guard affiliation.key == key.id, affiliation.node == self.node.id else {
                throw CommunityHostError(.notAllowed, "\(community.short)'s affiliation names another key or node: that node joins for it")
            }
            guard affiliation.manifestHash == manifest.hash else {
                throw CommunityHostError(.notAllowed, "the institution's manifest in force is not the one \(community.short) agreed to: propose again")
            }
            return Signer(tcc: tcc, persona: key, member: community)
        }
    }

    /// Relays an institution's question to the member community whose key this node holds
    /// (section 15, "Institutions", rules 1 to 4), and answers with the community's report
    /// signed by the key; anything it cannot relay is refused, signed by the node.
    func relay(question bytes: [UInt8], in institution: TCCID, from peer: NodeID) async -> [UInt8] {
        let now = nowMs
        let received = ObjectID(uncheckedBytes: BLAKE2b.hash(bytes, outputLength: 32))
        func refuse(_ reason: String, _ code: RefusalCode = .denied) -> [UInt8] {
            Exchange.refusal(for: received, code: code, rules: [], reason: reason, signer: exchange.nodeIdentity, at: now)
        }
        let admitted = relaying.withLock { count -> Bool in
            guard count < Self.maximumRelays else { return false }
            count += 1
            return true
        }
        guard admitted else { return refuse("this node is relaying \(Self.maximumRelays) questions already; ask again later", .busy) }
        defer { relaying.withLock { $0 -= 1 } }
        let checked: Result<(SignedQuery, Signer, InstitutionTerms), RelayRefusal>?
        checked = try? await NIOThreadPool.singleton.runIfActive { self.checkRelay(bytes, in: institution, from: peer) }
        guard let checked else { return refuse("the node is shutting down", .busy) }
        let (signed, key, via): (SignedQuery, Signer, InstitutionTerms)
        switch checked {
        case .success(let relay): (signed, key, via) = relay
        case .failure(let refusal): return refuse(refusal.reason, refusal.code)
        }
        let query = signed.query
        do {
            let question = Exchange.Question(
                target: key.member, module: query.module, stream: query.stream, window: query.window, numbers: query.numbers, region: query.region,
                purpose: query.purpose, lifetime: Self.relayLifetime(until: query.expires, now: nowMs))
            let answer = try await ask(key.member, as: key, question: question, via: via)
            let counted = CommunityAggregate.counted(answer.module, answer.replies.compactMap(\.value)).count
            let report = try CommunityReport(
                query: signed.id, community: key.member, reported: nowMs, asked: UInt32(answer.replies.count), answered: UInt32(counted),
                value: answer.value, reason: CommunityReport.reason(answer.withheld ?? ""))
            return try await NIOThreadPool.singleton.runIfActive {
                report.signed(with: try self.host.personaKey(key.persona, of: key.tcc)).envelope.bytes
            }
        } catch {
            // Not the error's text: it may say what the store holds. The owner's log does.
            _ = try? host.audit(key.tcc, .exchangeRefusal, ["action": "institution.relay", "institution": institution.description, "error": "\(error)"])
            return refuse("the community could not be asked; its key holder's log says why")
        }
    }

    /// How long the members' queries live: a second less than the institution's question has
    /// left, so that their answers are back before it lapses (and never longer than it).
    static func relayLifetime(until expires: UInt64, now: UInt64) -> UInt64 {
        expires > now + 2000 ? expires - now - 1000 : 1000
    }

    /// Why a relay was refused: a code of section 13's verifier, or `denied` by rules 1 to 4.
    struct RelayRefusal: Error {
        var code: RefusalCode
        var reason: String
    }

    /// Rules 1 to 4 of section 15's "Institutions", and the replay window: what a relay checks
    /// before it asks anyone, reading only replicas and the store.
    func checkRelay(_ bytes: [UInt8], in institution: TCCID, from peer: NodeID) -> Result<(SignedQuery, Signer, InstitutionTerms), RelayRefusal> {
        func deny(_ reason: String) -> Result<(SignedQuery, Signer, InstitutionTerms), RelayRefusal> { .failure(RelayRefusal(code: .denied, reason: reason)) }
        guard let log = logs.withLock({ $0[institution] }), log.state.group == .institution else {
            return deny("this node holds no institution \(institution.short)")
        }
        let state = log.state
        let signed: SignedQuery
        do {
            signed = try SignedQuery.open(bytes)
        } catch {
            return .failure(RelayRefusal(code: RefusalCode(error.code), reason: error.context))
        }
        let query = signed.query
        let module = query.module.rawValue
        guard case .persona(let asker) = query.requester, state.mayAsk(asker, stream: query.stream, module: module),
            let askerNode = state.members[asker]?.node, askerNode == peer || peer == node.id
        else {
            return deny("the asker is not a member on the sending node whom the institution's manifest lets ask \(module) of \(query.stream)")
        }
        let community = query.target
        guard let (member, _) = state.members.first(where: { $0.value.tcc == community && $0.value.node == node.id && $0.value.status == .active }),
            state.consents(member), let key = try? key(of: community), key.persona.id == member
        else {
            return deny("\(community.short) is not a consenting member of the institution whose key this node holds")
        }
        guard let affiliation = logs.withLock({ $0[community]?.state.affiliations[institution] }), affiliation.key == member,
            affiliation.node == node.id
        else {
            return deny("\(community.short) is not affiliated to the institution through this node")
        }
        guard let agreed = log.manifest(hash: affiliation.manifestHash), state.consentInForce(is: agreed.manifest.consent) else {
            return deny("\(community.short) has not agreed to the institution's consent terms in force (its members decide: affiliate again)")
        }
        guard let terms = state.terms(stream: query.stream, module: module) else {
            return deny("the institution's consent does not cover \(module) of \(query.stream)")
        }
        do {
            // Only now, for a question this node relays: the same replay window as the queries it answers.
            _ = try exchange.acceptRelayed(bytes)
        } catch {
            return .failure(RelayRefusal(code: RefusalCode(error.code), reason: error.context))
        }
        return .success((signed, Signer(tcc: key.tcc, persona: key.persona, member: community), InstitutionTerms(institution: institution, conditions: terms.conditions)))
    }
}
