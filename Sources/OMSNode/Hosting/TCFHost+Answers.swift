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
    public var window: TimeWindow?
    public var purpose: String?
    /// The query's id (its 32 random bytes, what replays are known by) and when it lapses (ms).
    public var query: [UInt8]
    public var expires: Int64
    /// The query envelope's object id, which the audit entry names (as the asker's does).
    public var objectID: ObjectID?

    public init(
        requester: PolicyRequest.Requester, requesterID: String, stream: StreamName, module: AnswerModule, window: TimeWindow? = nil,
        purpose: String? = nil, query: [UInt8], expires: Int64, objectID: ObjectID? = nil
    ) {
        self.requester = requester
        self.requesterID = requesterID
        self.stream = stream
        self.module = module
        self.window = window
        self.purpose = purpose
        self.query = query
        self.expires = expires
        self.objectID = objectID
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
    public var code: String
    public var rules: [String]
    public var reason: String

    public init(code: String, rules: [String] = [], reason: String) {
        self.code = code
        self.rules = rules
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" + (rules.isEmpty ? "" : " (rules \(rules.joined(separator: ", ")))") }
}

/// The Policy Enforcement Point: decides with the TCC's policies, computes the answer under the
/// obligations of the rules that permitted it (minimum count, noise, budget, rate), and
/// records the exchange and an audit entry. Records themselves never leave through here.
extension TCFHost {
    public func answer(_ request: AnswerRequest, for tcc: TCCRecord) throws -> AnswerOutcome {
        let nowMs = Int64(now().timeIntervalSince1970 * 1000)
        do {
            let outcome = try computeAnswer(request, for: tcc, nowMs: nowMs)
            try audit(tcc, .exchangeAnswer, Self.auditDetail(request, outcome: "answer", rules: outcome.rules, epsilon: outcome.epsilon))
            return outcome
        } catch let refusal as AnswerRefusal {
            // A refused query is remembered too, so that replaying it is refused as a replay.
            if refusal.code != AnswerError.Code.replayed.name {
                _ = try? store.commitExchange(
                    tcc: tcc.id, query: request.query, requester: request.requesterID, at: nowMs, expires: request.expires, outcome: "refusal")
            }
            try audit(tcc, .exchangeRefusal, Self.auditDetail(request, outcome: refusal.code, rules: refusal.rules, epsilon: nil))
            throw refusal
        }
    }

    private func computeAnswer(_ request: AnswerRequest, for tcc: TCCRecord, nowMs: Int64) throws -> AnswerOutcome {
        guard let schema = try streams(of: tcc)[request.stream] else {
            throw AnswerRefusal(code: "unknownStream", reason: "\(tcc.name) has no stream \(request.stream)")
        }
        let decision = try decide(
            PolicyRequest(
                requester: request.requester, action: .answer, stream: request.stream.rawValue, module: request.module.name,
                window: request.window, region: request.module.region, purpose: request.purpose, now: now()), for: tcc)
        guard decision.isPermitted else { throw AnswerRefusal(code: "denied", rules: decision.rules, reason: decision.reason) }
        let obligations = decision.obligations
        if obligations.budget != nil && obligations.epsilon == nil {
            throw AnswerRefusal(code: "denied", rules: decision.rules, reason: "the policy sets a budget but no epsilon to spend from it")
        }
        let from = request.window.map { Int64($0.from.timeIntervalSince1970 * 1000) } ?? .min
        let to = request.window.map { Int64($0.to.timeIntervalSince1970 * 1000) } ?? .max
        let value: AnswerValue
        do throws(AnswerError) {
            value = try compute(request.module, over: request.stream, schema: schema, tcc: tcc, from: from, to: to, obligations: obligations)
        } catch {
            throw AnswerRefusal(code: error.code.name, rules: decision.rules, reason: error.context)
        }
        let spent: Double?
        do {
            spent = try store.commitExchange(
                tcc: tcc.id, query: request.query, requester: request.requesterID, at: nowMs, expires: request.expires, outcome: "answer",
                rate: obligations.rate, epsilon: obligations.epsilon,
                budget: obligations.epsilon == nil ? nil : (obligations.budget ?? .infinity))
        } catch let error as AnswerError {
            throw AnswerRefusal(code: error.code.name, rules: decision.rules, reason: error.context)
        }
        return AnswerOutcome(value: value, epsilon: obligations.epsilon, rules: decision.rules, budgetSpent: obligations.budget == nil ? nil : spent)
    }

    private func compute(
        _ module: AnswerModule, over stream: StreamName, schema: StreamSchema, tcc: TCCRecord, from: Int64, to: Int64, obligations: PolicyRule.Conditions
    ) throws(AnswerError) -> AnswerValue {
        do {
            switch schema.kind {
            case .gps:
                let records = try records(of: tcc, stream: stream, from: from, to: to, fields: [0, 1])
                let fixes = records.compactMap { r -> GPSFix? in
                    guard let lat = r.values[0]?.number, let lon = r.values[1]?.number else { return nil }
                    return GPSFix(time: r.time, latitude: lat, longitude: lon)
                }
                return try AnswerModules.compute(module, over: fixes, minimumCount: obligations.minimumCount)
            case .numeric:
                guard let value = schema.valueField else {
                    throw AnswerError(.wrongStream, "this stream has no numeric value field to answer over")
                }
                let samples = try records(of: tcc, stream: stream, from: from, to: to, fields: [value.index]).compactMap { r in
                    r.values[value.index]?.number.map { NumericSample(time: r.time, value: $0) }
                }
                return try AnswerModules.compute(
                    module, over: samples, bounds: value.bounds, minimumCount: obligations.minimumCount,
                    noise: obligations.epsilon.map { ($0, Self.uniformDraw) })
            }
        } catch let error as AnswerError {
            throw error
        } catch {
            throw AnswerError(.invalidParameter, "the records could not be read: \(error)")
        }
    }

    /// A uniform draw in (0, 1) from libsodium's generator, for the Laplace mechanism.
    @Sendable static func uniformDraw() -> Double {
        let bits = SecureRandom.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } >> 11
        return (Double(bits) + 0.5) / 9_007_199_254_740_992
    }

    static func auditDetail(_ request: AnswerRequest, outcome: String, rules: [String], epsilon: Double?) -> [String: String] {
        var detail = [
            "action": "answer", "outcome": outcome, "requester": request.requesterID, "stream": request.stream.rawValue,
            "module": request.module.name, "query": request.objectID?.description ?? request.query.hex,
        ]
        if !rules.isEmpty { detail["rules"] = rules.joined(separator: ",") }
        if let epsilon { detail["epsilon"] = String(epsilon) }
        if let purpose = request.purpose { detail["purpose"] = purpose }
        return detail
    }
}
