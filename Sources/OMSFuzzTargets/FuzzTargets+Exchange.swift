import OMSCore
import OMSCrypto
import OMSProtocol

extension FuzzTargets {
    /// The exchange's objects (protocol-spec/README.md section 13): the bytes go to each opener
    /// (query, answer, refusal) and to the asker's `AnswerCheck` for the vectors' first query,
    /// and each object one of them accepts must keep the bytes it was given, re-encode to exactly
    /// its payload (the layouts are canonical), respect the limits its decoder promises, and get
    /// the verdicts `QueryVerifier` owes it at its own times. As `identityObjects` does, an input
    /// that decodes as an envelope is also signed afresh with the vectors' key for its signer and
    /// opened again, so the fuzzer's payloads reach the decoders behind the signature check.
    public static func exchange(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        try openExchangeObjects(bytes)
        if let envelope = try? Envelope(decoding: bytes, maximumPayload: Query.maximumPayload) {
            let resigned = Envelope.sign(
                type: envelope.type, payload: envelope.payload, with: ExchangeFixture.shared.key(for: envelope.signer)
            ).bytes
            if resigned != bytes { try openExchangeObjects(resigned) }
        }
    }

    static func openExchangeObjects(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        if let query = try? SignedQuery.open(bytes) { try queryInvariants(query, bytes) }
        if let answer = try? SignedAnswer.open(bytes) { try answerInvariants(answer, bytes) }
        if let refusal = try? SignedRefusal.open(bytes) { try refusalInvariants(refusal, bytes) }
        if let report = try? SignedCommunityReport.open(bytes) { try reportInvariants(report, bytes) }
        let check = AnswerCheck(query: ExchangeFixture.shared.query, sentTo: ExchangeFixture.shared.node)
        if let outcome = try? check.check(bytes) {
            try invariant(outcome.envelope.bytes == bytes, "an outcome keeps other bytes than it was given")
            switch outcome {
            case .answer(let answer):
                try invariant(answer.answer.query == check.query.id, "an accepted answer names another query")
                try invariant(answer.answer.target == check.query.query.target, "an accepted answer is from another TCC")
            case .refusal(let refusal):
                try invariant(refusal.refusal.query == check.query.id, "an accepted refusal names another query")
                let signer = refusal.envelope.signer.rawRepresentation
                try invariant(
                    signer == check.query.query.target.bytes || signer == check.node.bytes,
                    "an accepted refusal is signed by neither the target nor the node")
            }
        }
    }

    static func queryInvariants(_ signed: SignedQuery, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        let query = signed.query
        try invariant(signed.envelope.bytes == bytes, "a query keeps other bytes than it opened")
        try invariant(signed.envelope.type == Query.type, "a query opened from an envelope of type \(signed.envelope.type)")
        try invariant(signed.envelope.payload.count <= Query.maximumPayload, "a query's payload is over the limit")
        try invariant(query.encodePayload() == signed.envelope.payload, "a query does not re-encode to its payload")
        try invariant(query.requester.bytes == signed.envelope.signer.rawRepresentation, "a query's requester is not its signer")
        try invariant(query.queryID.count == Query.queryIDLength, "a query id is not 32 bytes")
        try invariant(
            query.expires > query.issued && query.expires - query.issued <= Query.maximumLifetime, "a query lives too long or not at all")
        try invariant(
            query.numbers.count <= Query.maximumNumbers && query.numbers.allSatisfy(\.isFinite), "a query's numbers break the rule")
        try invariant(
            query.presentations.count <= Query.maximumPresentations
                && query.presentations.allSatisfy { $0.count <= Query.maximumPresentationLength },
            "a query's presentations break the limits")
        try invariant(query.window.map { $0.from <= $0.to } ?? true, "a window ends before it starts")
        try invariant((query.purpose?.utf8.count ?? 1) >= 1, "an empty purpose is not none")

        // Accepted at its own issue time by a node hosting its target, then a replay; refused by
        // a node that hosts nothing, and once expired; and the module either maps or is refused.
        var verifier = QueryVerifier(capacity: 4)
        let target = query.target
        try invariant(
            code { () throws(ExchangeError) in _ = try verifier.accept(bytes, at: query.issued, hosting: { $0 == target }) } == nil,
            "a query is refused at its own issue time")
        let again = code { () throws(ExchangeError) in _ = try verifier.accept(bytes, at: query.issued, hosting: { $0 == target }) }
        try invariant(again == .replayed, "a second accept gives \(again?.name ?? "no error"), not replayed")
        var fresh = QueryVerifier(capacity: 4)
        let stranger = code { () throws(ExchangeError) in _ = try fresh.accept(bytes, at: query.issued, hosting: { _ in false }) }
        try invariant(stranger == .unknownTarget, "a node hosting nothing gives \(stranger?.name ?? "no error")")
        let late = code { () throws(ExchangeError) in _ = try fresh.accept(bytes, at: query.expires, hosting: { $0 == target }) }
        try invariant(late == .expired, "a query at its expiry gives \(late?.name ?? "no error")")
        try invariant(fresh.rememberedCount == 0, "a refused query left its id behind")
        let module = code { () throws(ExchangeError) in _ = try query.answerModule() }
        try invariant(
            module == nil || module == .unknownModule || module == .invalidParameter,
            "mapping the module gives \(module?.name ?? "")")
        _ = query.policyRequest(now: query.issued)
        _ = try? signed.verifyPresentations(with: ClaimVerifier(), at: query.issued)
    }

    /// A community's report to an institution (section 15): canonical, within its limits, a
    /// number or counts only, and never more members answering than asked.
    static func reportInvariants(_ signed: SignedCommunityReport, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        let report = signed.report
        try invariant(signed.envelope.bytes == bytes, "a report keeps other bytes than it opened")
        try invariant(signed.envelope.payload.count <= CommunityReport.maximumPayload, "a report's payload is over the limit")
        try invariant(report.encodePayload() == signed.envelope.payload, "a report does not re-encode to its payload")
        try invariant(report.answered <= report.asked, "a report has more members answering than asked")
        try invariant(report.reason.utf8.count <= CommunityReport.maximumReason, "a report's reason is too long")
        switch report.value {
        case nil: break
        case .number(let x)?: try invariant(!x.isInfinite, "a report's number is infinite")
        case .counts(let xs)?: try invariant(xs.count <= Answer.maximumValues && xs.allSatisfy(\.isFinite), "a report's counts break the rule")
        default: try invariant(false, "a report carries a value other than a number or counts")
        }
    }

    static func answerInvariants(_ signed: SignedAnswer, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        let answer = signed.answer
        try invariant(signed.envelope.bytes == bytes, "an answer keeps other bytes than it opened")
        try invariant(signed.envelope.payload.count <= Answer.maximumPayload, "an answer's payload is over the limit")
        try invariant(answer.encodePayload() == signed.envelope.payload, "an answer does not re-encode to its payload")
        try invariant(answer.target.bytes == signed.envelope.signer.rawRepresentation, "an answer's target is not its signer")
        try invariant(answer.epsilon.isFinite && answer.epsilon >= 0, "an answer's epsilon breaks the rule")
        try invariant(answer.rules.count <= 16, "an answer names more than 16 rules")
        try invariant(answer == answer, "an answer is not equal to itself (a NaN compared as a number)")
        switch answer.value {
        case .number(let x): try invariant(!x.isInfinite, "an infinite number")
        case .counts(let xs): try invariant(xs.count <= Answer.maximumValues && xs.allSatisfy(\.isFinite), "counts break the rule")
        case .numbers(let xs):
            try invariant(xs.count <= Answer.maximumValues && !xs.contains(where: \.isInfinite), "numbers break the rule")
        case .yesNo: break
        case .area(let latitude, let longitude, let precision):
            try invariant(latitude.isFinite && longitude.isFinite && precision.isFinite && precision > 0, "an area breaks the rule")
        case .records(let bytes):
            try invariant(
                bytes.count <= Answer.maximumRecordsBytes && String(validating: bytes, as: UTF8.self) != nil, "records break the rule")
        }
    }

    static func refusalInvariants(_ signed: SignedRefusal, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        let refusal = signed.refusal
        try invariant(signed.envelope.bytes == bytes, "a refusal keeps other bytes than it opened")
        try invariant(signed.envelope.payload.count <= Refusal.maximumPayload, "a refusal's payload is over the limit")
        try invariant(refusal.encodePayload() == signed.envelope.payload, "a refusal does not re-encode to its payload")
        try invariant((try? RefusalCode(refusal.code.rawValue)) == refusal.code, "a refusal code did not round-trip")
        try invariant(refusal.reason.utf8.count <= Refusal.maximumReasonLength, "a refusal's reason is over the limit")
        try invariant(refusal.rules.count <= 16, "a refusal names more than 16 rules")
    }

    /// The code `body` throws, or nil when it returns.
    static func code(of body: () throws(ExchangeError) -> Void) -> ExchangeError.Code? {
        do {
            try body()
            return nil
        } catch {
            return error.code
        }
    }
}

/// The keys and the query of protocol-spec/vectors/queries.json: the requesters', the target's
/// and the answering node's private keys (their `signer_seed` fields), so that `exchange` can
/// re-sign a mutated payload with the key its envelope names, and the first valid query as the
/// one `AnswerCheck` checks against, so the vectors' answers and refusals of it are accepted.
public struct ExchangeFixture: Sendable {
    public static let shared = ExchangeFixture()

    let keys: [Ed25519.PrivateKey]
    public let query: SignedQuery
    public let node: NodeID

    init() {
        keys = [
            "3286a580400bb06b0820437063ec1c2f891967fb61302203fc4f626f9e406623",  // the persona requester
            "f82637c4c31f277cf86d9bc90146b57f6ab4409c18c39f536c81d66c87c4a6dc",  // the TCC requester
            "83adf6ea8265535133892d2f77a6dab319f51a1bd3753777ed90815917a978cd",  // the target TCC
            "4b81a9e113c53b3fd21cd351b4213faa3564d692527852b5d33dec6a8e366bf2",  // the answering node
        ].map { try! Ed25519.PrivateKey(seed: HandshakeFixture.bytes($0)) }
        query = try! SignedQuery.open(HandshakeFixture.bytes(Self.queryHex))
        node = NodeID(publicKey: keys[3].publicKey)
    }

    /// The vectors' key whose public key is `signer`, or the first one.
    public func key(for signer: Ed25519.PublicKey) -> Ed25519.PrivateKey {
        keys.first { $0.publicKey.rawRepresentation == signer.rawRepresentation } ?? keys[0]
    }

    /// "a persona asks for a count, nothing optional".
    static let queryHex = """
        4f4d534501096f6d732f717565727937b748cfb73ecd02e0635cca363543589d7e71ed5bf161ad3a0ac4c0728172b979567b55858fdc7ea3\
        4d7f51f288585ce30cb11934b8fc467f4bd4ed032c6d0e312ece630ae1f2621ad1d95718fd9f286211d04ffa414b4230c003608919e70200\
        0000c50142706572736f6e613178376d35336e6168386d787339637272746e397276643272747a7768757530647430636b7274663670747a\
        767175357077327573377578356b363e74636331733071323361727171347070637a716d637a786167653370703563677973303266717336\
        656138706d32306365766e7165613271683975633966050cad54d0627e173a42ccbf1a980141a90f0efd5c97b861b99663100c2472860563\
        6f756e7405737465707300000000000000019c44d904180000019c44d9ee7800
        """
}
