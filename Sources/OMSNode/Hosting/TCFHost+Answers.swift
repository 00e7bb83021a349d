import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// A question put to a TCC's data, as the rule engine sees it once the query's signature and
/// freshness are checked: who asks (with the memberships and claims they proved), what
/// (stream, module, window, purpose), and the query's id and expiry for replay protection.
public struct AnswerRequest: Sendable {
    public var requester: PolicyRequest.Requester
    /// The requester's printed id: whose budget and rate an answer counts against.
    public var requesterID: String
    public var stream: StreamName
    public var module: AnswerModule
    /// The window as the policy sees it, and the same in whole milliseconds (both ends
    /// included) as the records are read: the query's own integers, never rounded through a
    /// `Date`.
    public var window: TimeWindow?
    public var range: ClosedRange<Int64>?
    public var purpose: String?
    /// The query's id (its 32 random bytes, what replays are known by) and when it lapses (ms).
    public var query: [UInt8]
    public var expires: Int64
    /// The query envelope's object id, which the audit entry names (as the asker's does).
    public var objectID: ObjectID?
    /// Terms beyond the owner's policies (a community's consent): the stricter of each holds.
    public var terms: PolicyRule.Conditions?

    public init(
        requester: PolicyRequest.Requester, requesterID: String, stream: StreamName, module: AnswerModule, window: TimeWindow? = nil,
        range: ClosedRange<Int64>? = nil, purpose: String? = nil, query: [UInt8], expires: Int64, objectID: ObjectID? = nil
    ) {
        self.requester = requester
        self.requesterID = requesterID
        self.stream = stream
        self.module = module
        self.window = window
        self.range = range ?? window.map { Self.milliseconds($0.from)...Self.milliseconds($0.to) }
        self.purpose = purpose
        self.query = query
        self.expires = expires
        self.objectID = objectID
    }

    static func milliseconds(_ date: Date) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded(.down)
        return ms >= 9.2e18 ? .max : ms <= -9.2e18 ? .min : Int64(ms)
    }
}

/// An answer the policy allowed: the value, the noise it carries, and the rules that allowed it.
public struct AnswerOutcome: Sendable, Hashable {
    public var value: AnswerValue
    /// The epsilon spent on this answer (nil: no noise was asked for).
    public var epsilon: Double?
    public var rules: [String]
    /// The requester's spent budget after this answer, when the policy sets one.
    public var budgetSpent: Double?
}

/// A query the engine refused: a code the asker can branch on, the rules that decided (empty
/// for the default deny), and why in words.
public struct AnswerRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: RefusalCode
    public var rules: [String]
    public var reason: String

    public init(code: RefusalCode, rules: [String] = [], reason: String) {
        self.code = code
        self.rules = rules
        self.reason = reason
    }

    /// The refusal for an answer module's error; a module that does not fit the stream is an
    /// invalid parameter of the query.
    init(_ error: AnswerError, rules: [String]) {
        let code: RefusalCode =
            switch error.code {
            case .tooFewRecords: .tooFewRecords
            case .budgetExhausted: .budgetExhausted
            case .rateLimited: .rateLimited
            case .replayed: .replayed
            default: .invalidParameter
            }
        self.init(code: code, rules: rules, reason: error.context)
    }

    public var description: String { "\(code.rawValue): \(reason)" + (rules.isEmpty ? "" : " (rules \(rules.joined(separator: ", ")))") }
}

/// The Policy Enforcement Point: decides with the TCC's policies, computes the answer under the
/// obligations of the rules that permitted it (minimum count, noise, budget, rates), and
/// commits the outcome with its audit entry. Records themselves never leave through here.
extension TCFHost {
    /// Answers `request` for `tcc`. The query is remembered first (unless the caller did so
    /// when it accepted it, `accepted`), so that it is answered at most once, across restarts.
    public func answer(_ request: AnswerRequest, for tcc: TCCRecord, accepted: Bool = false) throws -> AnswerOutcome {
        let nowMs = AnswerRequest.milliseconds(now())
        let key = try rootKey(of: tcc)
        if !accepted {
            do {
                try store.acceptQuery(tcc: tcc.id, query: request.query, requester: request.requesterID, at: nowMs, expires: request.expires)
            } catch let error as AnswerError {
                let refusal = AnswerRefusal(error, rules: [])
                try audit(tcc, .exchangeRefusal, Self.auditDetail(request, outcome: refusal.code.rawValue, rules: [], epsilon: nil))
                throw refusal
            }
        }
        do {
            let (outcome, rates) = try computeAnswer(request, for: tcc)
            let detail = Self.auditDetail(request, outcome: "answer", rules: outcome.rules, epsilon: outcome.epsilon)
            do {
                let spent = try store.commitAnswer(
                    tcc: tcc.id, query: request.query, requester: request.requesterID, at: nowMs, rates: rates, epsilon: outcome.epsilon,
                    budget: outcome.epsilon == nil ? nil : (outcome.budgetSpent ?? .infinity), audit: (.exchangeAnswer, try Self.json(detail), key))
                var answered = outcome
                answered.budgetSpent = outcome.budgetSpent == nil ? nil : spent
                return answered
            } catch let error as AnswerError {
                throw AnswerRefusal(error, rules: outcome.rules)
            }
        } catch let refusal as AnswerRefusal {
            try refuse(request, in: tcc, refusal, key: key, at: nowMs)
            throw refusal
        }
    }

    /// Records a refusal of an accepted query, with its audit entry.
    func refuse(_ request: AnswerRequest, in tcc: TCCRecord, _ refusal: AnswerRefusal, key: Ed25519.PrivateKey, at nowMs: Int64) throws {
        let detail = Self.auditDetail(request, outcome: refusal.code.rawValue, rules: refusal.rules, epsilon: nil)
        try store.recordRefusal(
            tcc: tcc.id, query: request.query, code: refusal.code.rawValue, at: nowMs, audit: (.exchangeRefusal, try Self.json(detail), key))
    }

    /// The decision and the module's value, or the refusal; nothing is written here. The
    /// outcome's `budgetSpent` carries the policy's budget until the commit replaces it.
    private func computeAnswer(_ request: AnswerRequest, for tcc: TCCRecord) throws -> (AnswerOutcome, [PolicyRule.Rate]) {
        guard let schema = try streams(of: tcc)[request.stream] else {
            throw AnswerRefusal(code: .unknownStream, reason: "\(tcc.name) has no stream \(request.stream)")
        }
        // Records themselves are the `raw` action, which a rule must permit explicitly.
        let action: PolicyAction = request.module == .raw ? .raw : .answer
        let decision = try decide(
            PolicyRequest(
                requester: request.requester, action: action, stream: request.stream.rawValue, module: request.module.name,
                window: request.window, region: request.module.region, purpose: request.purpose, now: now()), for: tcc)
        guard decision.isPermitted else { throw AnswerRefusal(code: .denied, rules: decision.rules, reason: decision.reason) }
        var obligations = decision.obligations
        if let terms = request.terms { obligations = obligations.stricter(with: terms) }
        if obligations.budget != nil && obligations.epsilon == nil {
            throw AnswerRefusal(code: .denied, rules: decision.rules, reason: "the policy sets a budget but no epsilon to spend from it")
        }
        if request.module == .raw {
            return (try rawRecords(request, schema: schema, tcc: tcc, decision: decision), decision.rates)
        }
        if schema.kind == .gps {
            // Location modules have no noisy form: a policy asking for noise does not get an
            // exact location answer dressed as a private one.
            guard obligations.epsilon == nil else {
                throw AnswerRefusal(
                    code: .denied, rules: decision.rules, reason: "the policy asks for noise and \(request.module.name) has no noisy form")
            }
            obligations.budget = nil
        }
        let range = request.range ?? Int64.min...Int64.max
        let value: AnswerValue
        do throws(AnswerError) {
            value = try compute(request.module, over: request.stream, schema: schema, tcc: tcc, range: range, obligations: obligations)
        } catch {
            throw AnswerRefusal(error, rules: decision.rules)
        }
        return (AnswerOutcome(value: value, epsilon: obligations.epsilon, rules: decision.rules, budgetSpent: obligations.budget), decision.rates)
    }

    /// The records in the window as ingest lines, at most `Answer.maximumRecordsBytes` of them:
    /// no noise (a policy asking for it is refused), the minimum count as for any answer.
    private func rawRecords(_ request: AnswerRequest, schema: StreamSchema, tcc: TCCRecord, decision: PolicyDecision) throws -> AnswerOutcome {
        guard decision.obligations.epsilon == nil else {
            throw AnswerRefusal(code: .denied, rules: decision.rules, reason: "the policy asks for noise and raw records have no noisy form")
        }
        let range = request.range ?? Int64.min...Int64.max
        let records: [DataRecord]
        do {
            records = try self.records(of: tcc, stream: request.stream, from: range.lowerBound, to: range.upperBound)
        } catch {
            throw AnswerRefusal(code: .invalidParameter, rules: decision.rules, reason: "the records could not be read")
        }
        if let minimum = decision.obligations.minimumCount, records.count < minimum {
            throw AnswerRefusal(code: .tooFewRecords, rules: decision.rules, reason: "fewer records than the policy's minimum of \(minimum)")
        }
        var lines: [UInt8] = []
        for record in records {
            ExportLine.record(record, stream: request.stream, schema: schema, into: &lines)
            guard lines.count <= Answer.maximumRecordsBytes else {
                throw AnswerRefusal(
                    code: .invalidParameter, rules: decision.rules,
                    reason: "the records in this window are more than \(Answer.maximumRecordsBytes) bytes: ask for a narrower window")
            }
        }
        return AnswerOutcome(value: .records(lines), epsilon: nil, rules: decision.rules, budgetSpent: nil)
    }

    private func compute(
        _ module: AnswerModule, over stream: StreamName, schema: StreamSchema, tcc: TCCRecord, range: ClosedRange<Int64>,
        obligations: PolicyRule.Conditions
    ) throws(AnswerError) -> AnswerValue {
        do {
            switch schema.kind {
            case .gps:
                guard let lat = schema.index(of: "lat"), let lon = schema.index(of: "lon") else {
                    throw AnswerError(.wrongStream, "this GPS stream has no lat and lon")
                }
                let read = try columns(of: tcc, stream: stream, range: range, fields: [lat, lon])
                let fixes = read.times.indices.map { GPSFix(time: read.times[$0], latitude: read.columns[0][$0], longitude: read.columns[1][$0]) }
                return try AnswerModules.compute(module, over: fixes, minimumCount: obligations.minimumCount)
            case .numeric:
                guard let value = schema.valueField else {
                    throw AnswerError(.wrongStream, "this stream has no numeric value field to answer over")
                }
                let read = try columns(of: tcc, stream: stream, range: range, fields: [value.index])
                let samples = read.times.indices.map { NumericSample(time: read.times[$0], value: read.columns[0][$0]) }
                return try AnswerModules.compute(
                    module, over: samples, bounds: value.bounds, minimumCount: obligations.minimumCount,
                    noise: obligations.epsilon.map { ($0, uniform) })
            }
        } catch let error as AnswerError {
            throw error
        } catch {
            throw AnswerError(.invalidParameter, "the records could not be read")
        }
    }

    static func auditDetail(_ request: AnswerRequest, outcome: String, rules: [String], epsilon: Double?) -> [String: String] {
        exchangeDetail(
            query: request.objectID?.description ?? request.query.hex, requester: request.requesterID, stream: request.stream.rawValue,
            module: request.module.name, outcome: outcome, rules: rules, epsilon: epsilon, purpose: request.purpose)
    }

    /// What the answering side's audit entry says of a query (protocol-spec §13, "Frames and
    /// audit"), whether the engine saw it or it was refused before.
    static func exchangeDetail(
        query: String, requester: String, stream: String, module: String, outcome: String, rules: [String] = [], epsilon: Double? = nil,
        purpose: String? = nil
    ) -> [String: String] {
        var detail = ["action": "answer", "outcome": outcome, "requester": requester, "stream": stream, "module": module, "query": query]
        if !rules.isEmpty { detail["rules"] = rules.joined(separator: ",") }
        if let epsilon { detail["epsilon"] = String(epsilon) }
        if let purpose { detail["purpose"] = purpose }
        return detail
    }
}

/// Uniform draws in (0, 1) for the Laplace mechanism, from libsodium's generator.
public enum UniformDraw {
    @Sendable public static func secure() -> Double {
        // 52 random bits and a half: strictly inside (0, 1), never rounding to either end.
        let bits = SecureRandom.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } >> 12
        return (Double(bits) + 0.5) / 4_503_599_627_370_496
    }
}
