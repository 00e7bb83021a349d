import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol

/// The rule engine's memory, kept in SQLite so that restarts neither refund a budget nor
/// reopen a replay: one row per query accepted for a TCC (its 32-byte query id), with what
/// came of it, and each requester's spent privacy budget. Every outcome commits with its audit
/// entry in one transaction.
extension NodeStore {
    /// The audit entry that commits with an outcome.
    public typealias ExchangeAudit = (kind: AuditKind, detail: [UInt8], key: Ed25519.PrivateKey)

    /// Remembers an accepted query, or refuses it as a replay of one accepted before (whatever
    /// came of that one).
    public func acceptQuery(tcc: TCCID, query: [UInt8], requester: String, at: Int64, expires: Int64) throws {
        try write { db in try Self.accept(db, tcc: tcc, query: query, requester: requester, at: at, expires: expires) }
    }

    static func accept(_ db: Database, tcc: TCCID, query: [UInt8], requester: String, at: Int64, expires: Int64) throws {
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM exchange WHERE query = ?", arguments: [Data(query)]) == nil else {
            throw AnswerError(.replayed, "this query was received before; each query is answered once")
        }
        try db.execute(
            sql: "INSERT INTO exchange (query, tcc, requester, at_ms, expires_ms, outcome) VALUES (?, ?, ?, ?, ?, 'accepted')",
            arguments: [Data(query), Data(tcc.bytes), requester, at, expires])
    }

    /// Commits an answer to an accepted query: every rate of the permitting rules must allow
    /// one more answer to this requester, and the epsilon must fit the budget; then the outcome,
    /// the spend and the audit entry are written together. Returns the requester's spent budget.
    /// On a refusal nothing is written and the error says which limit.
    public func commitAnswer(
        tcc: TCCID, query: [UInt8], requester: String, at: Int64, rates: [PolicyRule.Rate], epsilon: Double?, budget: Double?,
        audit: ExchangeAudit
    ) throws -> Double? {
        try write { db in
            let outcome = try String.fetchOne(db, sql: "SELECT outcome FROM exchange WHERE query = ?", arguments: [Data(query)])
            guard outcome == "accepted" else {
                throw AnswerError(.replayed, outcome == nil ? "the query was never accepted" : "this query was answered before")
            }
            for rate in rates {
                let since = at - Int64(min(rate.seconds, PolicyRule.Rate.maximumSeconds)) * 1000
                let recent =
                    try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM exchange WHERE tcc = ? AND requester = ? AND at_ms > ? AND outcome = 'answer'",
                        arguments: [Data(tcc.bytes), requester, since]) ?? 0
                guard recent < rate.count else {
                    throw AnswerError(
                        .rateLimited, "\(requester) was answered \(recent) times in the last \(rate.seconds) s; the policy allows \(rate.count)")
                }
            }
            var spentAfter: Double?
            if let epsilon, let budget {
                let already =
                    try Double.fetchOne(
                        db, sql: "SELECT spent FROM privacy_spend WHERE tcc = ? AND requester = ?", arguments: [Data(tcc.bytes), requester]) ?? 0
                var ledger = PrivacyLedger(spent: [requester: already])
                try ledger.spend(epsilon, by: requester, budget: budget)
                spentAfter = ledger.spent[requester]
                try db.execute(
                    sql: """
                        INSERT INTO privacy_spend (tcc, requester, spent) VALUES (?, ?, ?)
                        ON CONFLICT (tcc, requester) DO UPDATE SET spent = excluded.spent
                        """,
                    arguments: [Data(tcc.bytes), requester, spentAfter])
            }
            try db.execute(sql: "UPDATE exchange SET outcome = 'answer', at_ms = ? WHERE query = ?", arguments: [at, Data(query)])
            _ = try Self.appendAudit(db, tcc: tcc, kind: audit.kind, detail: audit.detail, at: Self.date(at), checkpointWith: audit.key)
            return spentAfter
        }
    }

    /// Records a refusal of an accepted query (its outcome becomes the code) with its audit
    /// entry; a refusal of a replay leaves the first outcome as it was.
    public func recordRefusal(tcc: TCCID, query: [UInt8], code: String, at: Int64, audit: ExchangeAudit) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE exchange SET outcome = ? WHERE query = ? AND outcome = 'accepted'", arguments: [code, Data(query)])
            _ = try Self.appendAudit(db, tcc: tcc, kind: audit.kind, detail: audit.detail, at: Self.date(at), checkpointWith: audit.key)
        }
    }

    /// Forgets queries that expired before `before` and are older than any rate counts back:
    /// a replay of them is refused as expired anyway.
    public func pruneExchanges(before: Int64) throws {
        let horizon = before - Int64(PolicyRule.Rate.maximumSeconds) * 1000
        try write { db in
            try db.execute(sql: "DELETE FROM exchange WHERE expires_ms < ? AND at_ms < ?", arguments: [before, horizon])
        }
    }

    public func privacySpent(tcc: TCCID) throws -> [String: Double] {
        try pool.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(
                    db, sql: "SELECT requester, spent FROM privacy_spend WHERE tcc = ?", arguments: [Data(tcc.bytes)]
                ).map { ($0["requester"] as String, $0["spent"] as Double) })
        }
    }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
