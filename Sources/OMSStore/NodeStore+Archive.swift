import Foundation
import GRDB
import OMSCore
import OMSProtocol

/// A TCF's rows, copied table by table so that an archive restores exactly what was stored:
/// sealed keys stay sealed (under the TCF key), audit logs keep their hashes and checkpoints.
public struct TCFRows: Codable, Sendable {
    public struct Table: Codable, Sendable {
        public var name: String
        public var columns: [String]
        public var rows: [[Value]]
    }

    /// An SQLite value, as stored.
    public enum Value: Codable, Sendable, Hashable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob(Data)
    }

    public var tcf: TCFID
    public var tables: [Table]

    /// Sets the `tcf` row's `location_sequence`: a migration's archive carries the number of
    /// the location record its hand-over will sign, while the source's own row keeps the old one
    /// until then (a failed attempt numbers nothing).
    public mutating func setLocationSequence(_ sequence: UInt64) {
        guard let table = tables.firstIndex(where: { $0.name == "tcf" }),
            let column = tables[table].columns.firstIndex(of: "location_sequence"), tables[table].rows.count == 1
        else { return }
        tables[table].rows[0][column] = .integer(Int64(clamping: sequence))
    }
}

extension NodeStore {
    /// The tables an archive carries, in an order that respects foreign keys, each with the
    /// condition that picks the TCF's rows. `wrapped_key` stays behind: it is this node's.
    static let archivedTables: [(name: String, columns: String, filter: String)] = [
        ("tcf", "id, name, owner_key, state, sealed_owner, created_at, location_sequence", "id = :tcf"),
        ("tcc", "id, tcf, kind, name, sealed_key, created_at", "tcf = :tcf"),
        ("persona", "id, tcc, context, sealed_key, created_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("persona_link", "tcc, first, second, envelope", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("claim", "id, tcc, role, type, subject, envelope, added_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        (
            "claim_revocation", "issuer, revocation_id, envelope",
            "issuer IN (SELECT id FROM tcc WHERE tcf = :tcf UNION SELECT persona.id FROM persona JOIN tcc ON persona.tcc = tcc.id WHERE tcc.tcf = :tcf)"
        ),
        ("relationship", "tcc, peer, persona, label, created_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("membership", "tcc, community, persona, role, joined_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("policy", "tcc, name, body, updated_at, version", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("policy_version", "tcc, name, version, body, set_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("stream", "tcc, name, schema, created_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("data_key", "tcc, sealed", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("device", "token_hash, tcc, name, streams, created_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("ingest_batch", "tcc, device, batch, records, received_at", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("record_block", "tcc, stream, start_ms, end_ms, count, sealed", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("privacy_spend", "tcc, requester, spent", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("exchange", "query, tcc, requester, at_ms, expires_ms, outcome", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("audit_entry", "tcc, sequence, time_ms, kind, detail, hash", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
        ("audit_checkpoint", "tcc, sequence, envelope", "tcc IN (SELECT id FROM tcc WHERE tcf = :tcf)"),
    ]

    /// Every row of the TCF, read in one transaction so the copy is consistent.
    public func exportTCF(_ tcf: TCFID) throws -> TCFRows {
        try pool.read { db in
            var tables: [TCFRows.Table] = []
            for table in Self.archivedTables {
                // tcc and persona are WITHOUT ROWID tables, ordered by their primary key; the
                // others keep insertion order, which audit verification compares with sequences.
                let order = ["tcc", "persona"].contains(table.name) ? "id" : "rowid"
                let rows = try Row.fetchAll(
                    db, sql: "SELECT \(table.columns) FROM \(table.name) WHERE \(table.filter) ORDER BY \(order)",
                    arguments: ["tcf": Data(tcf.bytes)])
                let columns = table.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                tables.append(TCFRows.Table(name: table.name, columns: columns, rows: rows.map { $0.databaseValues.map(TCFRows.Value.init) }))
            }
            guard tables.first?.rows.count == 1 else { throw HostingError(.notFound, "no TCF \(tcf) on this node") }
            return TCFRows(tcf: tcf, tables: tables)
        }
    }

    /// Inserts an exported TCF in one transaction, with `wrappedKey` as this node's wrapping
    /// of its key, and `state` when given (a migrated TCF left its source frozen). Only the
    /// archived tables and columns are accepted, whatever the rows say.
    /// A migrated TCF comes with the receipt its destination gives, kept in the same transaction.
    public func importTCF(
        _ rows: TCFRows, wrappedKey: [UInt8], state: TCFState? = nil, receipt: (migration: MigrationID, frame: [UInt8])? = nil
    ) throws {
        try pool.write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM tcf WHERE id = ?", arguments: [Data(rows.tcf.bytes)]) != nil {
                throw HostingError(.duplicate, "TCF \(rows.tcf) is already on this node")
            }
            guard rows.tables.map(\.name) == Self.archivedTables.map(\.name) else {
                throw HostingError(.badArchive, "the archive's tables are not the ones this node archives")
            }
            try Self.requireOwnRows(rows)
            for (table, expected) in zip(rows.tables, Self.archivedTables) {
                let columns = expected.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                // Archives from before migrations (protocol-spec §18) lack the TCF's location
                // sequence: it starts at 0, as it did for every TCF then.
                let older = table.name == "tcf" && table.columns == columns.filter { $0 != "location_sequence" }
                guard table.columns == columns || older else {
                    throw HostingError(.badArchive, "the archive's \(table.name) table has other columns than this node's")
                }
                var names = table.columns
                var extra: [DatabaseValueConvertible?] = []
                if table.name == "tcf" {
                    names.append("wrapped_key")
                    extra.append(Data(wrappedKey))
                }
                let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
                let statement = try db.makeStatement(
                    sql: "INSERT \(table.name == "claim_revocation" ? "OR IGNORE " : "")INTO \(table.name) (\(names.joined(separator: ", "))) VALUES (\(placeholders))")
                for row in table.rows {
                    guard row.count == table.columns.count else {
                        throw HostingError(.badArchive, "a row of \(table.name) has \(row.count) values, not \(table.columns.count)")
                    }
                    do {
                        try statement.execute(arguments: StatementArguments(row.map(\.databaseValue) + extra))
                    } catch let error as DatabaseError {
                        throw HostingError(.duplicate, "restoring \(table.name) clashes with what is on this node: \(error.message ?? "\(error)")")
                    }
                }
                // The state the TCF runs in here, set before its other rows: a migrated TCF left
                // its source `moving`, and a moving TCF's rows take no writes.
                if table.name == "tcf" {
                    try db.execute(
                        sql: "UPDATE tcf SET state = ? WHERE id = ? AND (? IS NOT NULL OR state = 'moving')",
                        arguments: [(state ?? .stopped).rawValue, Data(rows.tcf.bytes), state?.rawValue])
                }
            }
            let restored = try Row.fetchOne(db, sql: "SELECT id FROM tcf WHERE id = ?", arguments: [Data(rows.tcf.bytes)])
            guard restored != nil else { throw HostingError(.badArchive, "the archive holds no row for its TCF") }
            if let receipt {
                try db.execute(
                    sql: "INSERT INTO migration_receipt (migration, tcf, frame) VALUES (?, ?, ?)",
                    arguments: [Data(receipt.migration.bytes), Data(rows.tcf.bytes), Data(receipt.frame)])
            }
        }
    }

    /// Refuses rows that belong to anything but the archive's own TCF, as `archivedTables`'
    /// filters pick them: a row naming another TCF, or another TCF's TCC or persona, would be
    /// written into that TCF (a TCC planted in it, entries in its audit logs, revocations in its
    /// name). Tables come in `archivedTables` order, so TCCs and personas are known before use.
    static func requireOwnRows(_ rows: TCFRows) throws {
        let tcf = TCFRows.Value.blob(Data(rows.tcf.bytes))
        var tccs: Set<TCFRows.Value> = []
        var personas: Set<TCFRows.Value> = []
        for table in rows.tables {
            let (column, owners): (String, Set<TCFRows.Value>) =
                switch table.name {
                case "tcf": ("id", [tcf])
                case "tcc": ("tcf", [tcf])
                case "claim_revocation": ("issuer", tccs.union(personas))
                default: ("tcc", tccs)
                }
            guard let owner = table.columns.firstIndex(of: column) else {
                throw HostingError(.badArchive, "the archive's \(table.name) table has no \(column) column")
            }
            let id = table.columns.firstIndex(of: "id")
            for row in table.rows {
                guard row.indices.contains(owner), owners.contains(row[owner]) else {
                    throw HostingError(
                        .badArchive,
                        "a row of the archive's \(table.name) table belongs to something other than TCF \(rows.tcf.short)")
                }
                guard let id, row.indices.contains(id) else { continue }
                if table.name == "tcc" { tccs.insert(row[id]) }
                if table.name == "persona" { personas.insert(row[id]) }
            }
        }
    }

    /// Deletes the TCF and everything it holds (rows cascade; audit rows and revocations are
    /// removed explicitly, as they are not tied to the TCC table by a foreign key).
    public func deleteTCF(_ tcf: TCFID) throws {
        try pool.write { db in
            let arguments: StatementArguments = ["tcf": Data(tcf.bytes)]
            for table in ["audit_entry", "audit_checkpoint", "claim_revocation"] {
                let filter = Self.archivedTables.first { $0.name == table }!.filter
                try db.execute(sql: "DELETE FROM \(table) WHERE \(filter)", arguments: arguments)
            }
            try db.execute(sql: "DELETE FROM tcf WHERE id = :tcf", arguments: arguments)
        }
    }
}

extension TCFRows.Value {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let v): self = .integer(v)
        case .double(let v): self = .real(v)
        case .string(let v): self = .text(v)
        case .blob(let v): self = .blob(v)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let v): v.databaseValue
        case .real(let v): v.databaseValue
        case .text(let v): v.databaseValue
        case .blob(let v): v.databaseValue
        }
    }
}
