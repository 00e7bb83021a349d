import Foundation
import OMSProtocol

/// How a query's fields become what the answering node's pure core works with: the answer
/// module to run and the request its policy decides on.
extension Query {
    /// The module this query asks for, with its parameters. The shapes (section 13, "Modules"):
    /// `count sum mean min max distance` take no numbers and no region; `histogram` its edges
    /// (2 or more) and `quantiles` its fractions (1 or more) as numbers; `time-inside` and
    /// `visited` a region and no numbers; `last-area` one number, the precision in metres. The
    /// values themselves (ascending edges, fractions in 0...1, a precision of 100 m or more)
    /// are checked by `AnswerModules.compute`, which refuses them as `invalidParameter` too.
    public func answerModule() throws(ExchangeError) -> AnswerModule {
        func plain(_ module: AnswerModule) throws(ExchangeError) -> AnswerModule {
            guard numbers.isEmpty, region == nil else { throw invalid("takes no numbers and no region") }
            return module
        }
        func numbered(minimum: Int, _ make: ([Double]) -> AnswerModule) throws(ExchangeError) -> AnswerModule {
            guard numbers.count >= minimum, region == nil else { throw invalid("takes at least \(minimum) numbers and no region") }
            return make(numbers)
        }
        func regional(_ make: (Region) -> AnswerModule) throws(ExchangeError) -> AnswerModule {
            guard let region, numbers.isEmpty else { throw invalid("takes a region and no numbers") }
            return make(region)
        }
        switch module.rawValue {
        case "count": return try plain(.count)
        case "sum": return try plain(.sum)
        case "mean": return try plain(.mean)
        case "min": return try plain(.min)
        case "max": return try plain(.max)
        case "distance": return try plain(.distance)
        case "raw": return try plain(.raw)
        case "histogram": return try numbered(minimum: 2) { .histogram(edges: $0) }
        case "quantiles": return try numbered(minimum: 1) { .quantiles($0) }
        case "time-inside": return try regional { .timeInside($0) }
        case "visited": return try regional { .visited($0) }
        case "last-area":
            guard numbers.count == 1, region == nil else { throw invalid("takes one number, the precision, and no region") }
            return .lastArea(precision: numbers[0])
        default:
            throw ExchangeError(.unknownModule, "this node has no answer module '\(module)'")
        }
    }

    private func invalid(_ rule: String) -> ExchangeError {
        let has = "\(numbers.count) numbers and \(region == nil ? "no" : "a") region"
        return ExchangeError(.invalidParameter, "\(module) \(rule); the query has \(has)")
    }

    /// The request the target's policy decides on, for an `answer` at `now` (Unix ms), with the
    /// claims of the presentations the node verified (`SignedQuery.verifyPresentations`) and
    /// the memberships it knows the requester to have.
    public func policyRequest(
        presentations: [ClaimPresentation] = [], memberships: Set<TCCID> = [], now: UInt64
    ) -> PolicyRequest {
        var requester = PolicyRequest.Requester(memberships: memberships)
        switch self.requester {
        case .persona(let id): requester.persona = id
        case .tcc(let id): requester.tcc = id
        }
        requester.claims = presentations.map {
            PolicyRequest.HeldClaim(type: $0.claim.claim.type, issuer: $0.claim.claim.issuer.description)
        }
        return PolicyRequest(
            requester: requester, action: module.rawValue == "raw" ? .raw : .answer, stream: stream, module: module.rawValue,
            window: window.flatMap { try? TimeWindow(from: Self.date($0.from), to: Self.date($0.to)) }, region: region,
            purpose: purpose, now: Self.date(now))
    }

    /// A Unix time in milliseconds as a `Date`.
    static func date(_ milliseconds: UInt64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
