import Foundation
import NIOPosix
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// What a community's question brought back: the aggregate (or why it is withheld), and every
/// member accounted for: answered, refused (with the code), not reached, or not asked because
/// they have not consented to the terms in force. Nobody's answer is guessed.
public struct CommunityAnswer: Sendable {
    public struct Reply: Sendable {
        public var member: PersonaID
        /// The member's TCC: a person's, or (in an institution) the member community's id.
        public var tcc: TCCID
        public var node: NodeID
        /// "answer", a refusal's code, or "unreachable".
        public var outcome: String
        public var value: AnswerValue?
        public var reason: String?
        /// The member TCC's signed answer or refusal, as received.
        public var envelope: [UInt8]?
        /// The object id of the query this member was asked.
        public var question: ObjectID?
        /// A member community's report (in an institution): its members asked, and answering.
        public var membersAsked: Int?
        public var membersAnswered: Int?
    }

    public var community: TCCID
    public var module: String
    public var stream: String
    public var value: AnswerValue?
    /// Why there is no aggregate, when there is none.
    public var withheld: String?
    public var minimumMembers: Int
    public var replies: [Reply]
    /// Active members not asked: they have not signed the consent terms in force.
    public var notConsenting: [PersonaID]
    /// Suspended members, not asked while suspended.
    public var suspended: [PersonaID]
}

extension Communities {
    /// Asks the community a question as `tcc`'s member persona (see the signer's variant).
    public func ask(_ community: TCCID, as tcc: TCCRecord, question: Exchange.Question, timeout: Duration = .seconds(10)) async throws
        -> CommunityAnswer
    {
        try await ask(community, as: try signer(tcc, in: try log(community)), question: question, timeout: timeout)
    }

    /// Asks a community or an institution as `signer`: a signed query to each answering
    /// member's TCC (in an institution, to each member community, through its key's node), sent
    /// as a `CommunityQuestion`, each checked, a person's answer kept as a contribution, and
    /// combined once at least the consent's minimum count of members answered. Relaying for an
    /// institution (`via`), the signer is the community's key: the community's own access does
    /// not apply (its affiliation is its decision to answer), and k is the institution's too.
    func ask(_ community: TCCID, as signer: Signer, question: Exchange.Question, via: InstitutionTerms? = nil, timeout: Duration = .seconds(10))
        async throws -> CommunityAnswer
    {
        let state = try log(community).state
        let persona = signer.persona
        let module = question.module.rawValue
        guard CommunityAggregate.modules.contains(module) else {
            throw CommunityHostError(.invalidQuestion, "a community combines \(CommunityAggregate.modules.sorted().joined(separator: ", ")), not \(module)")
        }
        if let via {
            guard state.affiliations[via.institution]?.key == persona.id else {
                throw CommunityHostError(.notAllowed, "\(persona.id.short) is not the community's key in \(via.institution.short)")
            }
        } else {
            guard state.mayAsk(persona.id, stream: question.stream, module: module) else {
                throw CommunityHostError(.notAllowed, "the manifest's access does not let \(persona.id.short) ask \(module) of \(question.stream)")
            }
        }
        guard let terms = state.terms(stream: question.stream, module: module) else {
            throw CommunityHostError(.notAllowed, "the manifest's consent does not cover \(module) of \(question.stream): no member answers it")
        }
        // A question that cannot be a query (a purpose too long, numbers out of range) is the
        // asker's mistake, said once, not a failure per member.
        _ = try Query(
            requester: .persona(persona.id), target: community, queryID: [UInt8](repeating: 0, count: Query.queryIDLength), module: question.module,
            stream: question.stream, window: question.window, numbers: question.numbers, region: question.region, purpose: question.purpose,
            issued: nowMs, expires: nowMs + min(max(question.lifetime, 1), Query.maximumLifetime))
        let answering = state.answering.sorted { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }
        let notConsenting = state.members.filter { $0.value.status == .active && !state.consents($0.key) }.map(\.key)
        let suspended = state.members.filter { $0.value.status == .suspended }.map(\.key)
        let replies = await withTaskGroup(of: CommunityAnswer.Reply.self) { group in
            for (member, record) in answering {
                group.addTask {
                    await self.askMember(member, record, of: community, in: state.group, question: question, as: signer, via: via, timeout: timeout)
                }
            }
            var all: [CommunityAnswer.Reply] = []
            for await reply in group { all.append(reply) }
            return all.sorted { $0.member.bytes.lexicographicallyPrecedes($1.member.bytes) }
        }
        let now = Int64(clamping: nowMs)
        if state.group == .community {
            try host.store.addContributions(
                community,
                replies.compactMap { reply in
                    guard reply.outcome == "answer", let envelope = reply.envelope, let question = reply.question else { return nil }
                    return CommunityContribution(member: reply.member, question: question, envelope: envelope, at: now)
                })
        }
        let values = replies.compactMap(\.value)
        let minimum = max(1, terms.minimumCount ?? 1, via?.conditions.minimumCount ?? 1)
        let value = CommunityAggregate.combine(module, values, minimumMembers: minimum)
        let counted = CommunityAggregate.counted(module, values).count
        let withheld =
            value != nil ? nil
            : counted < minimum ? "\(counted) member(s) answered with a value; the terms need at least \(minimum)" : "the answers do not combine"
        try host.audit(
            signer.tcc, .exchangeAsk,
            [
                "action": "\(state.group).ask", "community": community.description, "module": module, "stream": question.stream,
                "answered": String(values.count), "asked": String(answering.count),
            ].merging(via.map { ["institution": $0.institution.description] } ?? [:]) { a, _ in a })
        return CommunityAnswer(
            community: community, module: module, stream: question.stream, value: value, withheld: withheld, minimumMembers: minimum,
            replies: replies, notConsenting: notConsenting, suspended: suspended)
    }

    /// Asks one member: a person's TCC in a community, a community (through the node holding
    /// its key) in an institution.
    private func askMember(
        _ member: PersonaID, _ record: CommunityState.Member, of community: TCCID, in group: CommunityEvent.Group, question: Exchange.Question,
        as signer: Signer, via: InstitutionTerms?, timeout: Duration
    ) async -> CommunityAnswer.Reply {
        var reply = CommunityAnswer.Reply(member: member, tcc: record.tcc, node: record.node, outcome: "unreachable")
        do {
            var asked = question
            asked.target = record.tcc
            let signed = try exchange.makeQuery(asked, from: signer.tcc, as: signer.persona)
            reply.question = signed.id
            let bytes: [UInt8]
            if record.node == node.id {
                if group == .institution {
                    bytes = await relay(question: signed.envelope.bytes, in: community, from: node.id)
                } else {
                    // The rule engine runs on the blocking pool, as for a question from a peer.
                    bytes = try await NIOThreadPool.singleton.runIfActive {
                        self.answer(question: signed.envelope.bytes, in: community, from: self.node.id, via: via)
                    }
                }
            } else {
                var frame = WireFrame()
                frame.communityQuestion = .with {
                    $0.community = Data(community.bytes)
                    $0.query = Data(signed.envelope.bytes)
                    via?.write(into: &$0)
                }
                // A member community's node asks its own members first, each within `timeout`.
                let wait = group == .institution ? timeout * 2 : timeout
                guard case .answer(let response)? = try await node.request(frame, to: record.node, timeout: wait).body else {
                    reply.reason = "node \(record.node.short) answered with another frame"
                    return reply
                }
                bytes = Array(response.envelope)
            }
            reply.envelope = bytes
            if group == .institution, (try? Envelope(decoding: bytes, maximumPayload: CommunityReport.maximumPayload))?.type == CommunityReport.type {
                let report = try SignedCommunityReport.open(bytes)
                try report.check(member: member, community: record.tcc, query: signed.id)
                reply.outcome = "answer"
                reply.value = report.report.value
                reply.reason = report.report.reason.isEmpty ? nil : report.report.reason
                reply.membersAsked = Int(report.report.asked)
                reply.membersAnswered = Int(report.report.answered)
                return reply
            }
            switch try exchange.receive(bytes, for: signed, from: record.node, in: signer.tcc) {
            case .answer(let answer):
                // An institution's member answers with a report, never a TCC's answer.
                guard group == .community else { throw ExchangeError(.wrongType, "a community answers an institution with a report") }
                reply.outcome = "answer"
                reply.value = answer.answer.value
            case .refusal(let refusal):
                reply.outcome = refusal.refusal.code.rawValue
                reply.reason = refusal.refusal.reason
            }
        } catch {
            reply.reason = "\(error)"
        }
        return reply
    }

    /// Answers a community's question for the member TCC it names, hosted here: the asker must
    /// be an active member the manifest's access lets ask this (or, relaying an institution's
    /// question, the key and node the community's affiliation names), the target an
    /// active member consenting to the terms in force, and the consent must cover the stream
    /// and module; then the exchange answers under the consent terms, those an institution
    /// adds and the owner's policies together.
    func answer(question bytes: [UInt8], in community: TCCID, from peer: NodeID, via: InstitutionTerms? = nil) -> [UInt8] {
        let now = nowMs
        guard let signed = try? SignedQuery.open(bytes) else { return exchange.respond(to: bytes) }
        let query = signed.query
        guard let tcc = try? host.store.tcc(query.target), let key = try? host.rootKey(of: tcc) else { return exchange.respond(to: bytes) }
        func refuse(_ reason: String) -> [UInt8] {
            _ = try? host.audit(tcc, .exchangeRefusal, Exchange.detail(signed, outcome: "denied").merging(["community": community.description]) { a, _ in a })
            return Exchange.refusal(for: signed.id, code: .denied, rules: [], reason: reason, signer: key, at: now)
        }
        guard let state = logs.withLock({ $0[community]?.state }), state.group == .community else {
            return refuse("this node holds no community \(community.short)")
        }
        guard case .persona(let asker) = query.requester else { return refuse("a community's question comes from a member's persona") }
        if let via {
            guard let affiliation = state.affiliations[via.institution], affiliation.key == asker, affiliation.node == peer else {
                return refuse("the community does not answer to \(via.institution.short) through the asking key and node")
            }
        } else {
            guard state.mayAsk(asker, stream: query.stream, module: query.module.rawValue) else {
                return refuse("the asker is not a member whom the manifest lets ask \(query.module.rawValue) of \(query.stream)")
            }
        }
        guard let member = state.members.first(where: { $0.value.tcc == tcc.id && $0.value.node == node.id && $0.value.status == .active })?.key,
            state.consents(member)
        else {
            return refuse("\(tcc.name) is not a member consenting to the community's terms in force")
        }
        guard let terms = state.terms(stream: query.stream, module: query.module.rawValue) else {
            return refuse("the manifest's consent does not cover \(query.module.rawValue) of \(query.stream)")
        }
        var conditions = terms.conditions
        if let via { conditions = conditions.stricter(with: via.conditions) }
        return exchange.respond(to: bytes, community: CommunityTerms(community: community, conditions: conditions))
    }

    /// Forgets the contributions of members who left longer ago than the manifest keeps them
    /// (`departure.retain`): run on every replica, so that what the manifest promises holds
    /// wherever the answers were kept. Returns how many contributions went.
    @discardableResult
    public func purgeExpired() throws -> Int {
        let now = nowMs
        var purged = 0
        for community in ids() {
            guard let state = logs.withLock({ $0[community]?.state }), let manifest = state.manifest?.manifest else { continue }
            let retain = UInt64(manifest.departure.retainSeconds) * 1000
            let expired = state.members.filter { $0.value.status == .left && $0.value.left + retain <= now }.map(\.key)
            purged += try host.store.purgeContributions(community, of: expired)
        }
        return purged
    }
}

extension Communities {
    /// What the member `tcc` is (or was) in the community has left behind on other nodes: asks
    /// every connected node of a member for the answers it keeps of them, and keeps only those
    /// that are the member TCC's own signed answers. Nodes that refuse or do not answer are
    /// named, not skipped silently.
    public func kept(_ community: TCCID, as tcc: TCCRecord) async throws -> (answers: [NodeID: [SignedAnswer]], failed: [NodeID: String]) {
        let log = try log(community)
        let persona = try persona(of: tcc, in: log)
        var request = WireFrame()
        request.communityKeptRequest = .with {
            $0.community = Data(community.bytes)
            $0.member = Data(persona.id.bytes)
        }
        let nodes = Set(log.state.members.values.map(\.node)).subtracting([node.id])
        let connected = Set(await node.connectedPeers())
        var answers: [NodeID: [SignedAnswer]] = [:]
        var failed: [NodeID: String] = [:]
        for peer in nodes.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) where connected.contains(peer) {
            do {
                guard case .communityKept(let kept)? = try await node.request(request, to: peer).body else {
                    failed[peer] = "answered with another frame"
                    continue
                }
                answers[peer] = kept.answers.compactMap { try? SignedAnswer.open(Array($0)) }.filter { $0.answer.target == tcc.id }
            } catch {
                failed[peer] = "\(error)"
            }
        }
        if let mine = try? host.store.contributions(community, member: persona.id) {
            answers[node.id] = mine.compactMap { try? SignedAnswer.open($0.envelope) }
        }
        return (answers, failed)
    }
}
