import Foundation
import GRDB
import OMSCore
import OMSProtocol

extension NodeStore {
    /// Sets a new version of a named policy: the current text changes and the old one stays
    /// in the history, in one transaction.
    public func setPolicy(tcc: TCCID, name: Name, body: String, at time: Date) throws -> PolicyRecord {
        try write { db in try Self.setPolicy(db, tcc: tcc, name: name, body: body, at: time) }
    }

    static func setPolicy(_ db: Database, tcc: TCCID, name: Name, body: String, at time: Date) throws -> PolicyRecord {
        let last = try Int.fetchOne(
            db, sql: "SELECT max(version) FROM policy_version WHERE tcc = ? AND name = ?", arguments: [Data(tcc.bytes), name.rawValue])
        let record = PolicyRecord(tcc: tcc, name: name, version: (last ?? 0) + 1, body: body, updatedAt: time)
        try db.execute(
            sql: """
                INSERT INTO policy (tcc, name, body, updated_at, version) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tcc, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, version = excluded.version
                """,
            arguments: [Data(tcc.bytes), name.rawValue, body, time, record.version])
        try db.execute(
            sql: "INSERT INTO policy_version (tcc, name, version, body, set_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [Data(tcc.bytes), name.rawValue, record.version, body, time])
        return record
    }

    /// Stops applying a named policy; its versions stay in the history.
    public func removePolicy(tcc: TCCID, name: Name) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM policy WHERE tcc = ? AND name = ?", arguments: [Data(tcc.bytes), name.rawValue])
            return db.changesCount > 0
        }
    }

    /// The current version of every policy of the TCC, by name.
    public func policies(tcc: TCCID) throws -> [PolicyRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM policy WHERE tcc = ? ORDER BY name", arguments: [Data(tcc.bytes)]).map { row in
                PolicyRecord(tcc: tcc, name: try Name(row["name"]), version: row["version"], body: row["body"], updatedAt: row["updated_at"])
            }
        }
    }

    /// The names of every policy ever set, in force or removed.
    public func policyNames(tcc: TCCID) throws -> [Name] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT name FROM policy_version WHERE tcc = ? ORDER BY name", arguments: [Data(tcc.bytes)])
        }.map { try Name($0) }
    }

    /// Every version of one policy, oldest first (including those of a removed policy).
    public func policyVersions(tcc: TCCID, name: Name) throws -> [PolicyRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM policy_version WHERE tcc = ? AND name = ? ORDER BY version",
                arguments: [Data(tcc.bytes), name.rawValue]
            ).map { row in
                PolicyRecord(tcc: tcc, name: name, version: row["version"], body: row["body"], updatedAt: row["set_at"])
            }
        }
    }
}
