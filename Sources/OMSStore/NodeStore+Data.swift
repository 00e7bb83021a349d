import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol

/// The personal data store's rows: declared streams, devices, sealed record blocks and the
/// batches that brought them. Sealing and opening happen above (the host holds the keys).
extension NodeStore {
    // MARK: Streams

    public func declareStream(_ record: StreamRecord) throws {
        let schema = String(decoding: try JSONEncoder.sorted.encode(record.schema), as: UTF8.self)
        try write { db in
            if let existing = try String.fetchOne(
                db, sql: "SELECT schema FROM stream WHERE tcc = ? AND name = ?", arguments: [Data(record.tcc.bytes), record.name.rawValue])
            {
                // Blocks are encoded by their schema, so a schema never changes under them.
                guard existing == schema else {
                    throw HostingError(.duplicate, "stream \(record.name) is declared with another schema; declare a new stream instead")
                }
                return
            }
            try db.execute(
                sql: "INSERT INTO stream (tcc, name, schema, created_at) VALUES (?, ?, ?, ?)",
                arguments: [Data(record.tcc.bytes), record.name.rawValue, schema, record.createdAt])
        }
    }

    public func declaredStreams(tcc: TCCID) throws -> [StreamRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM stream WHERE tcc = ? ORDER BY name", arguments: [Data(tcc.bytes)]).map { row in
                StreamRecord(
                    tcc: tcc, name: try StreamName(row["name"]),
                    schema: try JSONDecoder().decode(StreamSchema.self, from: Data((row["schema"] as String).utf8)), createdAt: row["created_at"])
            }
        }
    }

    /// Records per stream, first and last time, from the index.
    public func streamSummaries(tcc: TCCID) throws -> [StreamSummary] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT stream, sum(count) AS n, min(start_ms) AS first, max(end_ms) AS last FROM record_block WHERE tcc = ? GROUP BY stream ORDER BY stream",
                arguments: [Data(tcc.bytes)]
            ).map { row in
                StreamSummary(stream: try StreamName(row["stream"]), records: row["n"], first: row["first"], last: row["last"])
            }
        }
    }

    // MARK: Data keys

    public func sealedDataKey(tcc: TCCID) throws -> [UInt8]? {
        try pool.read { db in
            try Data.fetchOne(db, sql: "SELECT sealed FROM data_key WHERE tcc = ?", arguments: [Data(tcc.bytes)]).map { Array($0) }
        }
    }

    /// Stores a TCC's first data key, or returns the one already there (two first ingests at
    /// once must not seal records under two keys).
    public func insertDataKey(tcc: TCCID, sealed: [UInt8]) throws -> [UInt8] {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO data_key (tcc, sealed) VALUES (?, ?)", arguments: [Data(tcc.bytes), Data(sealed)])
            return Array(try Data.fetchOne(db, sql: "SELECT sealed FROM data_key WHERE tcc = ?", arguments: [Data(tcc.bytes)]) ?? Data())
        }
    }

    // MARK: Devices

    public func insertDevice(_ record: DeviceRecord, tokenHash: [UInt8]) throws {
        let streams = record.streams.map(\.rawValue).joined(separator: ",")
        try write { db in
            do {
                try db.execute(
                    sql: "INSERT INTO device (token_hash, tcc, name, streams, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Data(tokenHash), Data(record.tcc.bytes), record.name.rawValue, streams, record.createdAt])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw HostingError(.duplicate, "this TCC already has a device named \(record.name)")
            }
        }
    }

    public func device(tokenHash: [UInt8]) throws -> DeviceRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM device WHERE token_hash = ?", arguments: [Data(tokenHash)]).map(Self.deviceRecord)
        }
    }

    public func devices(tcc: TCCID) throws -> [DeviceRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM device WHERE tcc = ? ORDER BY name", arguments: [Data(tcc.bytes)]).map(Self.deviceRecord)
        }
    }

    public func removeDevice(tcc: TCCID, name: Name) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM device WHERE tcc = ? AND name = ?", arguments: [Data(tcc.bytes), name.rawValue])
            return db.changesCount > 0
        }
    }

    static func deviceRecord(_ row: Row) throws -> DeviceRecord {
        let streams = (row["streams"] as String).split(separator: ",").compactMap { try? StreamName(String($0)) }
        return DeviceRecord(
            tcc: try TCCID(bytes: Array(row["tcc"] as Data)), name: try Name(row["name"]), streams: streams, createdAt: row["created_at"])
    }

    // MARK: Batches and blocks

    /// Writes a batch's blocks and its receipt in one transaction, or, if the device already
    /// sent this batch id, writes nothing and returns the first receipt. The audit entry is
    /// appended in the same transaction, so the batch and its record commit together.
    public func insertBatch(
        tcc: TCCID, device: Name, batch: String, records: Int, blocks: [SealedBlock], at time: Date,
        audit: (kind: AuditKind, detail: [UInt8], key: Ed25519.PrivateKey)
    ) throws -> IngestReceipt {
        try write { db in
            let key: [any DatabaseValueConvertible] = [Data(tcc.bytes), device.rawValue, batch]
            if let row = try Row.fetchOne(
                db, sql: "SELECT records, received_at FROM ingest_batch WHERE tcc = ? AND device = ? AND batch = ?", arguments: StatementArguments(key))
            {
                return IngestReceipt(batch: batch, records: row["records"], duplicate: true, receivedAt: row["received_at"])
            }
            let statement = try db.cachedStatement(
                sql: "INSERT INTO record_block (tcc, stream, start_ms, end_ms, count, sealed) VALUES (?, ?, ?, ?, ?, ?)")
            for block in blocks {
                try statement.execute(arguments: [Data(tcc.bytes), block.stream.rawValue, block.start, block.end, block.count, Data(block.sealed)])
            }
            try db.execute(
                sql: "INSERT INTO ingest_batch (tcc, device, batch, records, received_at) VALUES (?, ?, ?, ?, ?)",
                arguments: StatementArguments(key + [records, time]))
            _ = try Self.appendAudit(db, tcc: tcc, kind: audit.kind, detail: audit.detail, at: time, checkpointWith: audit.key)
            return IngestReceipt(batch: batch, records: records, duplicate: false, receivedAt: time)
        }
    }

    /// The sealed blocks of a stream that overlap `[from, to]` (all of them without bounds), in
    /// time order.
    public func blocks(tcc: TCCID, stream: StreamName, from: Int64 = .min, to: Int64 = .max) throws -> [SealedBlock] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM record_block WHERE tcc = ? AND stream = ? AND start_ms <= ? AND end_ms >= ? ORDER BY start_ms, id",
                arguments: [Data(tcc.bytes), stream.rawValue, to, from]
            ).map { row in
                SealedBlock(stream: stream, start: row["start_ms"], end: row["end_ms"], count: row["count"], sealed: Array(row["sealed"] as Data))
            }
        }
    }

    // MARK: The rule engine's memory

    /// Records an answered (or refused) query in one transaction with its checks: a query id
    /// seen before is a replay; more than `rate.count` answers to this requester within
    /// `rate.seconds` is over the rate; an epsilon that would take the requester past `budget`
    /// is over budget. On any of these nothing is written and the error says which.
    public func commitExchange(
        tcc: TCCID, query: [UInt8], requester: String, at: Int64, expires: Int64, outcome: String,
        rate: PolicyRule.Rate? = nil, epsilon: Double? = nil, budget: Double? = nil
    ) throws -> Double? {
        try write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM exchange WHERE query = ?", arguments: [Data(query)]) == nil else {
                throw AnswerError(.replayed, "this query was received before; each query is answered once")
            }
            if let rate {
                let recent = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM exchange WHERE tcc = ? AND requester = ? AND at_ms > ? AND outcome = 'answer'",
                    arguments: [Data(tcc.bytes), requester, at - Int64(rate.seconds) * 1000]) ?? 0
                guard recent < rate.count else {
                    throw AnswerError(.rateLimited, "\(requester) was answered \(recent) times in the last \(rate.seconds) s; the policy allows \(rate.count)")
                }
            }
            var spentAfter: Double?
            if let epsilon, let budget {
                let already = try Double.fetchOne(
                    db, sql: "SELECT spent FROM privacy_spend WHERE tcc = ? AND requester = ?", arguments: [Data(tcc.bytes), requester]) ?? 0
                var ledger = PrivacyLedger(spent: [requester: already])
                try ledger.spend(epsilon, by: requester, budget: budget)
                spentAfter = ledger.spent[requester]
                try db.execute(
                    sql: "INSERT INTO privacy_spend (tcc, requester, spent) VALUES (?, ?, ?) ON CONFLICT (tcc, requester) DO UPDATE SET spent = excluded.spent",
                    arguments: [Data(tcc.bytes), requester, spentAfter])
            }
            try db.execute(
                sql: "INSERT INTO exchange (query, tcc, requester, at_ms, expires_ms, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [Data(query), Data(tcc.bytes), requester, at, expires, outcome])
            return spentAfter
        }
    }

    /// Forgets answered queries whose expiry passed long ago: a replay of them is refused as
    /// expired anyway. The rate window never reaches back further than a day.
    public func pruneExchanges(before: Int64) throws {
        try write { db in try db.execute(sql: "DELETE FROM exchange WHERE expires_ms < ? AND at_ms < ?", arguments: [before, before]) }
    }

    public func privacySpent(tcc: TCCID) throws -> [String: Double] {
        try pool.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT requester, spent FROM privacy_spend WHERE tcc = ?", arguments: [Data(tcc.bytes)])
                    .map { ($0["requester"] as String, $0["spent"] as Double) })
        }
    }
}

extension JSONEncoder {
    /// Sorted keys, so equal values encode to equal text (schemas are compared as text).
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension NodeStore {
    /// Writes an owner's import in one transaction: declared streams, record blocks, policy
    /// versions in order, claims, and the audit entry saying so.
    public func importData(
        tcc: TCCID, streams: [StreamRecord], blocks: [SealedBlock], policies: [(name: Name, yaml: String, at: Date)],
        claims: [(SignedClaim, ClaimRecord.Role)], at time: Date, audit: (kind: AuditKind, detail: [UInt8], key: Ed25519.PrivateKey)
    ) throws {
        try write { db in
            for stream in streams {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO stream (tcc, name, schema, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [
                        Data(tcc.bytes), stream.name.rawValue, String(decoding: try JSONEncoder.sorted.encode(stream.schema), as: UTF8.self),
                        stream.createdAt,
                    ])
            }
            let statement = try db.cachedStatement(
                sql: "INSERT INTO record_block (tcc, stream, start_ms, end_ms, count, sealed) VALUES (?, ?, ?, ?, ?, ?)")
            for block in blocks {
                try statement.execute(arguments: [Data(tcc.bytes), block.stream.rawValue, block.start, block.end, block.count, Data(block.sealed)])
            }
            var versions: [Name: Int] = [:]
            for policy in policies {
                let version = versions[policy.name, default: 0] + 1
                versions[policy.name] = version
                try db.execute(
                    sql: "INSERT INTO policy_version (tcc, name, version, body, set_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Data(tcc.bytes), policy.name.rawValue, version, policy.yaml, policy.at])
                try db.execute(
                    sql: """
                        INSERT INTO policy (tcc, name, body, updated_at, version) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (tcc, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, version = excluded.version
                        """,
                    arguments: [Data(tcc.bytes), policy.name.rawValue, policy.yaml, policy.at, version])
            }
            for (claim, role) in claims {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO claim (id, tcc, role, type, subject, envelope, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        Data(claim.id.bytes), Data(tcc.bytes), role.rawValue, claim.claim.type.rawValue, claim.claim.subject.description,
                        Data(claim.envelope.bytes), time,
                    ])
            }
            _ = try Self.appendAudit(db, tcc: tcc, kind: audit.kind, detail: audit.detail, at: time, checkpointWith: audit.key)
        }
    }
}
