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

    /// Removes a device and the batch ids it used, so that a new device given the same name
    /// starts afresh rather than having its first batches taken for retries.
    public func removeDevice(tcc: TCCID, name: Name) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM device WHERE tcc = ? AND name = ?", arguments: [Data(tcc.bytes), name.rawValue])
            let removed = db.changesCount > 0
            if removed {
                try db.execute(sql: "DELETE FROM ingest_batch WHERE tcc = ? AND device = ?", arguments: [Data(tcc.bytes), name.rawValue])
            }
            return removed
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
            try Self.insertBlocks(db, blocks, tcc: tcc)
            try db.execute(
                sql: "INSERT INTO ingest_batch (tcc, device, batch, records, received_at) VALUES (?, ?, ?, ?, ?)",
                arguments: StatementArguments(key + [records, time]))
            _ = try Self.appendAudit(db, tcc: tcc, kind: audit.kind, detail: audit.detail, at: time, checkpointWith: audit.key)
            return IngestReceipt(batch: batch, records: records, duplicate: false, receivedAt: time)
        }
    }

    static func insertBlocks(_ db: Database, _ blocks: [SealedBlock], tcc: TCCID) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO record_block (tcc, stream, start_ms, end_ms, count, sealed) VALUES (?, ?, ?, ?, ?, ?)")
        for block in blocks {
            try statement.execute(arguments: [Data(tcc.bytes), block.stream.rawValue, block.start, block.end, block.count, Data(block.sealed)])
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
    /// versions in order (those not `inForce` stay in the history only), claims, and the
    /// audit entry saying so.
    public func importData(
        tcc: TCCID, streams: [StreamRecord], blocks: [SealedBlock], policies: [(name: Name, yaml: String, at: Date)], inForce: Set<Name>,
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
            try Self.insertBlocks(db, blocks, tcc: tcc)
            for policy in policies {
                _ = try Self.setPolicy(db, tcc: tcc, name: policy.name, body: policy.yaml, at: policy.at)
            }
            for name in Set(policies.map(\.name)).subtracting(inForce) {
                try db.execute(sql: "DELETE FROM policy WHERE tcc = ? AND name = ?", arguments: [Data(tcc.bytes), name.rawValue])
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
