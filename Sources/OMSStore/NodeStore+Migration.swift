import Foundation
import GRDB
import OMSCore
import OMSProtocol

/// One attempt at sending a TCF away, as the source keeps it.
public struct MigrationRecord: Sendable, Hashable, Codable {
    public var id: MigrationID
    public var tcf: TCFID
    public var destination: NodeID
    public var phase: MigrationSource.Phase
    /// The destination's receipt (a `MigrationReceipt` frame's bytes), once it is in.
    public var receipt: [UInt8]?
    /// The location record signed for the hand-over.
    public var location: [UInt8]?
    public var failure: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// Migrations this node sends (protocol-spec §18) and the TCF locations it knows.
extension NodeStore {
    public func insertMigration(_ id: MigrationID, tcf: TCFID, destination: NodeID, at: Date) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO migration (id, tcf, destination, phase, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [Data(id.bytes), Data(tcf.bytes), Data(destination.bytes), MigrationSource.Phase.offered.rawValue, at, at])
        }
    }

    /// Moves a migration to `phase`, keeping what is given; the write is durable when this returns.
    public func updateMigration(
        _ id: MigrationID, phase: MigrationSource.Phase, receipt: [UInt8]? = nil, location: [UInt8]? = nil, failure: String? = nil, at: Date
    ) throws {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE migration SET phase = ?, receipt = coalesce(?, receipt), location = coalesce(?, location),
                    failure = coalesce(?, failure), updated_at = ? WHERE id = ?
                    """,
                arguments: [phase.rawValue, receipt.map { Data($0) }, location.map { Data($0) }, failure, at, Data(id.bytes)])
        }
    }

    public func migrations() throws -> [MigrationRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM migration ORDER BY created_at").map(Self.migration) }
    }

    public func migration(_ id: MigrationID) throws -> MigrationRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM migration WHERE id = ?", arguments: [Data(id.bytes)]).map(Self.migration) }
    }

    static func migration(_ row: Row) throws -> MigrationRecord {
        guard let phase = MigrationSource.Phase(rawValue: row["phase"]) else {
            throw StoreError(.corrupt, "a migration in an unknown phase '\(row["phase"] as String)' (written by a newer oms?)")
        }
        return MigrationRecord(
            id: try MigrationID(bytes: Array(row["id"] as Data)), tcf: try TCFID(bytes: Array(row["tcf"] as Data)),
            destination: try NodeID(bytes: Array(row["destination"] as Data)), phase: phase, receipt: (row["receipt"] as Data?).map(Array.init),
            location: (row["location"] as Data?).map(Array.init), failure: row["failure"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    /// Erases a TCF that was handed over: first its key (the wrapped TCF key, in its own
    /// transaction: from then on no row of it opens, whatever happens next), then every row;
    /// SQLite overwrites what it deletes (`secure_delete`) and the WAL is checkpointed and
    /// truncated, so the bytes do not linger in free pages or the log.
    public func eraseTCF(_ tcf: TCFID) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE tcf SET wrapped_key = zeroblob(length(wrapped_key)), sealed_owner = zeroblob(length(sealed_owner)) WHERE id = ?",
                arguments: [Data(tcf.bytes)])
        }
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        defer { try? pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA secure_delete = OFF") } }
        try deleteTCF(tcf)
        try pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// The sequence number the TCF's next location record takes: one above both its own count
    /// (its row's, which travels with it) and any record held for it.
    public func nextLocationSequence(_ tcf: TCFID) throws -> UInt64 {
        try pool.read { db in
            let own = try Int64.fetchOne(db, sql: "SELECT location_sequence FROM tcf WHERE id = ?", arguments: [Data(tcf.bytes)]) ?? 0
            let heard = try Int64.fetchOne(db, sql: "SELECT sequence FROM tcf_location WHERE tcf = ?", arguments: [Data(tcf.bytes)]) ?? 0
            return UInt64(max(own, heard) + 1)
        }
    }

    /// The location record held for `tcf`, if any.
    public func tcfLocation(_ tcf: TCFID) throws -> TCFLocation? {
        let bytes = try pool.read { db in try Data.fetchOne(db, sql: "SELECT envelope FROM tcf_location WHERE tcf = ?", arguments: [Data(tcf.bytes)]) }
        return try bytes.map { bytes throws in
            do { return try TCFLocation.open(Array(bytes)) } catch { throw StoreError(.corrupt, "a stored location of \(tcf.short) does not open: \(error)") }
        }
    }

    /// Keeps `location` if it follows the one held (same owner key, higher sequence); refuses it
    /// otherwise, changing nothing.
    public func keepLocation(_ location: TCFLocation) throws {
        try write { db in
            let held = try Data.fetchOne(db, sql: "SELECT envelope FROM tcf_location WHERE tcf = ?", arguments: [Data(location.tcf.bytes)])
            try location.follows(held.flatMap { try? TCFLocation.open(Array($0)) })
            try db.execute(
                sql: "INSERT OR REPLACE INTO tcf_location (tcf, node, sequence, envelope) VALUES (?, ?, ?, ?)",
                arguments: [Data(location.tcf.bytes), Data(location.node.bytes), Int64(clamping: location.sequence), Data(location.envelope.bytes)])
        }
    }

    /// Every location record held, for gossip to carry again after a restart.
    public func tcfLocations() throws -> [TCFLocation] {
        try pool.read { db in try Data.fetchAll(db, sql: "SELECT envelope FROM tcf_location") }.compactMap { try? TCFLocation.open(Array($0)) }
    }
}
