import Foundation
import NIOPosix
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Synchronization

/// A community's say in an answer: the requester is one of its members (the replica here
/// shows it), and its consent terms (minimum count, noise, budget) bind the answer as well as
/// the owner's policies; the stricter of each wins.
public struct CommunityTerms: Sendable {
    public var community: TCCID
    public var conditions: PolicyRule.Conditions

    public init(community: TCCID, conditions: PolicyRule.Conditions) {
        self.community = community
        self.conditions = conditions
    }
}

/// The personal-data exchange of one node (protocol-spec §13), both sides: answering the
/// queries peers send to the TCCs hosted here, and signing the queries this node's TCCs send.
/// The checks are the pure core's (`QueryVerifier`, `AnswerCheck`, the policy engine); this
/// class holds the keys and the memory, and writes the audit entries.
public final class Exchange: Sendable {
    let host: TCFHost
    let nodeIdentity: Ed25519.PrivateKey
    let verifier = Mutex(QueryVerifier())
    let lastPrune = Mutex<UInt64>(0)

    public init(host: TCFHost, nodeIdentity: Ed25519.PrivateKey) {
        self.host = host
        self.nodeIdentity = nodeIdentity
    }

    /// What the node calls with each query a peer sends: answered off the event loops, as it
    /// reads and writes the store.
    public var responder: QueryResponder {
        { [self] bytes, _ in
            (try? await NIOThreadPool.singleton.runIfActive { self.respond(to: bytes) })
                ?? Self.refusal(
                    for: ObjectID(uncheckedBytes: BLAKE2b.hash(bytes, outputLength: 32)), code: .busy, rules: [], reason: "the node is shutting down",
                    signer: nodeIdentity, at: nowMs)
        }
    }

    var nowMs: UInt64 { host.unixNowMs }

    // MARK: Answering

    /// What goes back for a query's bytes: a signed answer, or a signed refusal (by the target
    /// once the query is known to name a TCC hosted here, by the node before that).
    /// `community`: the query came as a community's question (protocol-spec §15), whose
    /// membership the requester holds and whose consent terms bind the answer too.
    public func respond(to bytes: [UInt8], community: CommunityTerms? = nil) -> [UInt8] {
        let now = nowMs
        pruneNowAndThen(now)
        let signed: SignedQuery
        var target: TCCRecord?
        do {
            signed = try verifier.withLock { verifier throws(ExchangeError) in
                try verifier.accept(bytes, at: now, hosting: { id in
                    target = try? self.host.store.tcc(id)
                    return target != nil
                })
            }
        } catch {
            let received = ObjectID(uncheckedBytes: BLAKE2b.hash(bytes, outputLength: 32))
            // Refused before it was known to name a TCC hosted here: the node signs, no TCC's log.
            guard error.code.refusalSigner == .target, let query = try? SignedQuery.open(bytes), let tcc = try? host.store.tcc(query.query.target),
                let key = try? host.rootKey(of: tcc)
            else {
                return Self.refusal(for: received, code: RefusalCode(error.code), rules: [], reason: error.context, signer: nodeIdentity, at: now)
            }
            _ = try? host.audit(tcc, .exchangeRefusal, Self.detail(query, outcome: error.code.name))
            return Self.refusal(for: query.id, code: RefusalCode(error.code), rules: [], reason: error.context, signer: key, at: now)
        }
        let query = signed.query
        guard let tcc = target, let key = try? host.rootKey(of: tcc) else {
            // Hosted a moment ago, or its TCF is stopped: it cannot sign, so the node says so.
            return Self.refusal(
                for: signed.id, code: .unknownTarget, rules: [], reason: "TCC \(query.target.short) is not answering (its TCF is stopped)",
                signer: nodeIdentity, at: now)
        }
        let nowSigned = Int64(clamping: now)
        let expires = Int64(clamping: query.expires)
        do {
            // Remembered in the store before anything else, so that it stays accepted (and a
            // replay refused) across restarts, whatever comes of it.
            try host.store.acceptQuery(tcc: tcc.id, query: query.queryID, requester: query.requester.description, at: nowSigned, expires: expires)
        } catch {
            _ = try? host.audit(tcc, .exchangeRefusal, Self.detail(signed, outcome: RefusalCode.replayed.rawValue))
            return Self.refusal(for: signed.id, code: .replayed, rules: [], reason: "this query was received before", signer: key, at: now)
        }
        let request: AnswerRequest
        do {
            request = try answerRequest(signed, community: community)
        } catch {
            let refusal =
                (error as? AnswerRefusal)
                ?? AnswerRefusal(code: (error as? ExchangeError).map { RefusalCode($0.code) } ?? .invalidParameter, reason: "\(error)")
            try? host.store.recordRefusal(
                tcc: tcc.id, query: query.queryID, code: refusal.code.rawValue, at: nowSigned,
                audit: (.exchangeRefusal, (try? TCFHost.json(Self.detail(signed, outcome: refusal.code.rawValue))) ?? [], key))
            return Self.refusal(for: signed.id, code: refusal.code, rules: [], reason: refusal.reason, signer: key, at: now)
        }
        do {
            let outcome = try host.answer(request, for: tcc, accepted: true)
            let answer = try Answer(
                query: signed.id, target: query.target, answered: nowMs, value: outcome.value, epsilon: outcome.epsilon ?? 0,
                rules: Array(outcome.rules.compactMap { try? RuleID($0) }.prefix(16)))
            return try answer.signed(with: key).envelope.bytes
        } catch let refusal as AnswerRefusal {
            // The host has recorded and audited it.
            return Self.refusal(for: signed.id, code: refusal.code, rules: refusal.rules, reason: refusal.reason, signer: key, at: nowMs)
        } catch {
            // Not the error's text: it may say what the store holds.
            _ = try? host.audit(tcc, .exchangeRefusal, Self.detail(signed, outcome: "internal"))
            return Self.refusal(
                for: signed.id, code: .invalidParameter, rules: [], reason: "the node could not answer; its owner's log says why", signer: key,
                at: nowMs)
        }
    }

    /// Accepts a query this node relays for an institution (protocol-spec §15, "Institutions"),
    /// once its caller has checked whom it is for, as it accepts the queries it answers: issued
    /// not ahead of its clock, not expired, and once (the same replay window).
    func acceptRelayed(_ bytes: [UInt8]) throws(ExchangeError) -> SignedQuery {
        let now = nowMs
        return try verifier.withLock { verifier throws(ExchangeError) in try verifier.accept(bytes, at: now, hosting: { _ in true }) }
    }

    /// The rule engine's view of an accepted query: the requester with the claims it proved
    /// (a verified `member` claim issued by a TCC is a membership of that community).
    func answerRequest(_ signed: SignedQuery, community: CommunityTerms? = nil) throws -> AnswerRequest {
        let query = signed.query
        let presentations = try signed.verifyPresentations(with: host.verifier, at: nowMs)
        var memberships: Set<TCCID> = []
        for presentation in presentations where presentation.claim.claim.type.rawValue == "member" {
            if case .tcc(let community) = presentation.claim.claim.issuer { memberships.insert(community) }
        }
        if let community { memberships.insert(community.community) }
        let module = try query.answerModule()
        guard let stream = try? StreamName(query.stream) else {
            throw AnswerRefusal(code: .unknownStream, reason: "'\(query.stream)' is not a stream here")
        }
        let policyRequest = query.policyRequest(presentations: presentations, memberships: memberships, now: nowMs)
        var request = AnswerRequest(
            requester: policyRequest.requester, requesterID: query.requester.description, stream: stream, module: module,
            window: policyRequest.window, range: query.window.map { Int64(clamping: $0.from)...Int64(clamping: $0.to) }, purpose: query.purpose,
            query: query.queryID, expires: Int64(clamping: query.expires), objectID: signed.id)
        request.terms = community?.conditions
        return request
    }

    /// A signed refusal; rule ids and a reason that do not fit the layout are left out rather
    /// than failing the refusal itself.
    static func refusal(
        for query: ObjectID, code: RefusalCode, rules: [String], reason: String, signer: Ed25519.PrivateKey, at now: UInt64
    ) -> [UInt8] {
        let ruleIDs = Array(rules.compactMap { try? RuleID($0) }.prefix(16))
        let text = reason.printable(limit: 200)
        let refusal =
            (try? Refusal(query: query, refusedAt: now, code: code, rules: ruleIDs, reason: text))
            ?? (try? Refusal(query: query, refusedAt: now, code: code, rules: ruleIDs))
            ?? (try! Refusal(query: query, refusedAt: now, code: code))
        return refusal.signed(with: signer).envelope.bytes
    }

    static func detail(_ signed: SignedQuery, outcome: String) -> [String: String] {
        TCFHost.exchangeDetail(
            query: signed.id.description, requester: signed.query.requester.description, stream: signed.query.stream,
            module: signed.query.module.rawValue, outcome: outcome)
    }

    /// Every ten minutes at most, forgets answered queries that can no longer matter.
    private func pruneNowAndThen(_ now: UInt64) {
        let due = lastPrune.withLock { last -> Bool in
            guard now >= last + 600_000 else { return false }
            last = now
            return true
        }
        if due { try? host.store.pruneExchanges(before: Int64(clamping: now) - Int64(QueryVerifier.skew)) }
    }

    // MARK: Asking

    /// What an owner asks another TCC.
    public struct Question: Sendable {
        public var target: TCCID
        public var module: ModuleName
        public var stream: String
        public var window: Query.Window?
        public var numbers: [Double]
        public var region: Region?
        public var purpose: String?
        /// Claims the asking TCC holds, to present (by object id).
        public var present: [ObjectID]
        /// How long the query is valid, in milliseconds (at most 300 000).
        public var lifetime: UInt64

        public init(
            target: TCCID, module: ModuleName, stream: String, window: Query.Window? = nil, numbers: [Double] = [], region: Region? = nil,
            purpose: String? = nil, present: [ObjectID] = [], lifetime: UInt64 = 60_000
        ) {
            self.target = target
            self.module = module
            self.stream = stream
            self.window = window
            self.numbers = numbers
            self.region = region
            self.purpose = purpose
            self.present = present
            self.lifetime = lifetime
        }
    }

    /// Signs a query from `tcc` (as `persona`, or as the TCC itself), with presentations of
    /// the held claims named, and writes the `exchange.ask` audit entry.
    public func makeQuery(_ question: Question, from tcc: TCCRecord, as persona: PersonaRecord?) throws -> SignedQuery {
        let key = try persona.map { try host.personaKey($0, of: tcc) } ?? host.rootKey(of: tcc)
        let requester: Query.Requester = persona.map { .persona($0.id) } ?? .tcc(tcc.id)
        let queryID = SecureRandom.bytes(Query.queryIDLength)
        let audience = try Audience(question.target.description)
        var presentations: [[UInt8]] = []
        for id in question.present {
            guard let claim = try host.store.claim(id, tcc: tcc.id, role: .held) else {
                throw HostingError(.notFound, "\(tcc.name) holds no claim \(id.short) to present")
            }
            presentations.append(try ClaimPresentation.present(claim, to: audience, nonce: queryID, at: host.unixNow, with: key).envelope.bytes)
        }
        let issued = nowMs
        let query = try Query(
            requester: requester, target: question.target, queryID: queryID, module: question.module, stream: question.stream,
            window: question.window, numbers: question.numbers, region: question.region, purpose: question.purpose, issued: issued,
            expires: issued + min(max(question.lifetime, 1), Query.maximumLifetime), presentations: presentations)
        let signed = try query.signed(with: key)
        try host.audit(
            tcc, .exchangeAsk,
            [
                "action": "ask", "query": signed.id.description, "requester": requester.description, "target": question.target.description,
                "module": question.module.rawValue, "stream": question.stream,
            ])
        return signed
    }

    /// Checks what came back from `node` for `query`, and records the outcome in the asker's log.
    public func receive(_ bytes: [UInt8], for query: SignedQuery, from node: NodeID, in tcc: TCCRecord) throws -> QueryOutcome {
        let outcome: QueryOutcome
        do {
            outcome = try AnswerCheck(query: query, sentTo: node).check(bytes)
        } catch {
            _ = try? host.audit(tcc, .exchangeAsk, ["action": "response", "query": query.id.description, "outcome": "invalid: \(error.code.name)"])
            throw error
        }
        let result: String =
            switch outcome {
            case .answer: "answer"
            case .refusal(let refusal): "refusal: \(refusal.refusal.code.rawValue)"
            }
        try host.audit(tcc, .exchangeAsk, ["action": "response", "query": query.id.description, "outcome": result, "response": outcome.envelope.id.description])
        return outcome
    }
}
