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
    /// The number of the location record the hand-over signs.
    public var locationSequence: UInt64
    public var archiveDigest: [UInt8]
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
    public func insertMigration(
        _ id: MigrationID, tcf: TCFID, destination: NodeID, locationSequence: UInt64, archiveDigest: [UInt8], at: Date
    ) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO migration (id, tcf, destination, phase, location_sequence, archive_digest, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Data(id.bytes), Data(tcf.bytes), Data(destination.bytes), MigrationSource.Phase.offered.rawValue,
                    Int64(clamping: locationSequence), Data(archiveDigest), at, at,
                ])
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
            destination: try NodeID(bytes: Array(row["destination"] as Data)), phase: phase,
            locationSequence: UInt64(clamping: row["location_sequence"] as Int64), archiveDigest: Array(row["archive_digest"] as Data),
            receipt: (row["receipt"] as Data?).map(Array.init),
            location: (row["location"] as Data?).map(Array.init), failure: row["failure"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    /// Erases a TCF that was handed over: first its keys (the wrapped TCF key and the sealed
    /// owner key, zeroed in their own transaction: from then on no row of it opens, whatever
    /// happens next), then every row. Every connection runs with `secure_delete`, so freed
    /// cells and pages are zeroed; the WAL, which still holds the old pages, is checkpointed and
    /// truncated, asked again while readers keep it busy. Returns false if the WAL stayed busy
    /// (its old pages then go at the next checkpoint SQLite makes).
    @discardableResult
    public func eraseTCF(_ tcf: TCFID) throws -> Bool {
        try write { db in
            try db.execute(
                sql: "UPDATE tcf SET wrapped_key = zeroblob(length(wrapped_key)), sealed_owner = zeroblob(length(sealed_owner)) WHERE id = ?",
                arguments: [Data(tcf.bytes)])
        }
        try deleteTCF(tcf)
        for attempt in 0..<50 {
            let busy = try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") ?? 1 }
            if busy == 0 { return true }
            Thread.sleep(forTimeInterval: 0.01 * Double(attempt + 1))
        }
        return false
    }

    /// The sequence number the TCF's next location record takes: one above both its own count
    /// (its row's, which travels with it) and any record held for it.
    public func nextLocationSequence(_ tcf: TCFID) throws -> UInt64 {
        try pool.read { db in
            let own = try Int64.fetchOne(db, sql: "SELECT location_sequence FROM tcf WHERE id = ?", arguments: [Data(tcf.bytes)]) ?? 0
            let heard = try Int64.fetchOne(db, sql: "SELECT sequence FROM tcf_location WHERE tcf = ?", arguments: [Data(tcf.bytes)]) ?? 0
            let (next, overflow) = max(own, heard).addingReportingOverflow(1)
            guard !overflow, next > 0 else { throw MigrationError(.staleLocation, "TCF \(tcf.short) has moved 2^63 - 1 times: it can move no more") }
            return UInt64(next)
        }
    }

    /// The receipt this node gave for `migration` (a `MigrationReceipt` frame's bytes), if it took
    /// that TCF in.
    public func givenReceipt(_ migration: MigrationID) throws -> [UInt8]? {
        try pool.read { db in try Data.fetchOne(db, sql: "SELECT frame FROM migration_receipt WHERE migration = ?", arguments: [Data(migration.bytes)]) }
            .map(Array.init)
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
