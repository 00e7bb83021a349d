import Foundation
import GRDB
import OMSCore
import OMSProtocol

/// One public community or institution this node knows of from gossip.
public struct CatalogEntry: Sendable, Hashable, Codable {
    public var community: TCCID
    /// `community` or `institution`.
    public var kind: String
    public var version: UInt64
    public var name: String
    public var purpose: String
    public var tags: [String]
    /// The persona that founded it and signs its announcements.
    public var founder: PersonaID
    /// BLAKE2b-256 of the manifest's bytes, hex: what a join signs.
    public var manifestHash: String
    /// The announcement's object id: its content id in gossip.
    public var content: ObjectID
    public var receivedAtMs: Int64

    init(
        community: TCCID, kind: String, version: UInt64, name: String, purpose: String, tags: [String], founder: PersonaID,
        manifestHash: String, content: ObjectID, receivedAtMs: Int64
    ) {
        self.community = community
        self.kind = kind
        self.version = version
        self.name = name
        self.purpose = purpose
        self.tags = tags
        self.founder = founder
        self.manifestHash = manifestHash
        self.content = content
        self.receivedAtMs = receivedAtMs
    }

    public init(_ announcement: ManifestAnnouncement, receivedAtMs: Int64) {
        community = announcement.community
        kind = announcement.group == .institution ? "institution" : "community"
        version = announcement.version
        name = announcement.manifest.manifest.name
        purpose = announcement.manifest.manifest.purpose
        tags = announcement.manifest.manifest.tags
        founder = PersonaID(uncheckedBytes: announcement.envelope.signer.rawRepresentation)
        manifestHash = announcement.manifest.hash.hex
        content = announcement.content
        self.receivedAtMs = receivedAtMs
    }
}

/// The catalog of public manifests (protocol-spec §17), searched with SQLite's FTS5.
extension NodeStore {
    /// Keeps `announcement` as the community's entry unless one that supersedes it is held (as
    /// dissemination decides: a higher version, or the same with a greater content id). Returns
    /// whether it was kept.
    @discardableResult
    public func catalog(_ announcement: ManifestAnnouncement, receivedAtMs: Int64) throws -> Bool {
        let entry = CatalogEntry(announcement, receivedAtMs: receivedAtMs)
        let key = Data(entry.community.bytes)
        // Announcements cap versions at 2^63 - 1, SQLite's largest integer.
        let version = Int64(clamping: entry.version)
        return try write { db in
            // The index row's rowid is the entry's id, so replacing one finds the other directly.
            let held = try Row.fetchOne(db, sql: "SELECT id, version, content FROM catalog WHERE community = ?", arguments: [key])
            if let held {
                // Dissemination's rule: a higher version, or the same with a greater content id.
                let (heldVersion, heldContent) = (held["version"] as Int64, Array(held["content"] as Data))
                guard version > heldVersion || (version == heldVersion && heldContent.lexicographicallyPrecedes(entry.content.bytes)) else {
                    return false
                }
            }
            let arguments: StatementArguments = [
                entry.kind, version, Data(entry.content.bytes), entry.name, entry.purpose, entry.tags.joined(separator: " "),
                Data(entry.founder.bytes), Data(announcement.manifest.hash), Data(announcement.envelope.bytes), entry.receivedAtMs, key,
            ]
            let rowid: Int64
            if let held {
                rowid = held["id"]
                try db.execute(sql: "DELETE FROM catalog_text WHERE rowid = ?", arguments: [rowid])
                try db.execute(
                    sql: """
                        UPDATE catalog SET kind = ?, version = ?, content = ?, name = ?, purpose = ?, tags = ?, founder = ?,
                            manifest_hash = ?, announcement = ?, received_at_ms = ? WHERE community = ?
                        """, arguments: arguments)
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO catalog
                            (kind, version, content, name, purpose, tags, founder, manifest_hash, announcement, received_at_ms, community)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: arguments)
                rowid = db.lastInsertedRowID
            }
            try db.execute(
                sql: "INSERT INTO catalog_text (rowid, name, purpose, tags) VALUES (?, ?, ?, ?)",
                arguments: [
                    rowid, entry.name.replacingOccurrences(of: "-", with: " ") + " " + entry.name, entry.purpose,
                    entry.tags.joined(separator: " "),
                ])
            return true
        }
    }

    /// Every announcement held, as received: what the node gossips after a restart.
    public func catalogAnnouncements() throws -> [[UInt8]] {
        try pool.read { db in try Data.fetchAll(db, sql: "SELECT announcement FROM catalog").map { Array($0) } }
    }

    /// The entry and the announcement held for `community`, if any.
    public func catalogEntry(_ community: TCCID) throws -> (entry: CatalogEntry, announcement: [UInt8])? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM catalog WHERE community = ?", arguments: [Data(community.bytes)]).map { row in
                (try Self.catalogEntry(row), Array(row["announcement"] as Data))
            }
        }
    }

    /// Entries whose name, purpose or tags hold every word of `query` (a word matches as a
    /// prefix), best first by BM25; every entry, newest first, for an empty query. `query` is
    /// plain words, never FTS5 syntax: whatever a stranger types cannot make the search fail.
    public func searchCatalog(_ query: String, limit: Int = 50) throws -> [CatalogEntry] {
        let words = Self.searchWords(query)
        return try pool.read { db in
            let rows: [Row]
            if words.isEmpty {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM catalog ORDER BY received_at_ms DESC, community LIMIT ?", arguments: [limit])
            } else {
                let match = words.map { "\"\($0)\"*" }.joined(separator: " ")
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT catalog.* FROM catalog_text JOIN catalog ON catalog.id = catalog_text.rowid
                        WHERE catalog_text MATCH ? ORDER BY bm25(catalog_text, 10.0, 1.0, 5.0), catalog.community LIMIT ?
                        """,
                    arguments: [match, limit])
            }
            return try rows.map(Self.catalogEntry)
        }
    }

    public func catalogCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM catalog") ?? 0 }
    }

    /// At most 16 words of letters and digits, each at most 64 characters, lower-cased.
    static func searchWords(_ query: String) -> [String] {
        query.lowercased().split { !($0.isLetter || $0.isNumber) }.prefix(16).map { String($0.prefix(64)) }
    }

    static func catalogEntry(_ row: Row) throws -> CatalogEntry {
        guard let community = try? TCCID(bytes: Array(row["community"] as Data)), let founder = try? PersonaID(bytes: Array(row["founder"] as Data)),
            let content = try? ObjectID(bytes: Array(row["content"] as Data))
        else { throw StoreError(.corrupt, "a catalog entry with an id that is not 32 bytes") }
        let tags: String = row["tags"]
        return CatalogEntry(
            community: community, kind: row["kind"], version: UInt64(row["version"] as Int64), name: row["name"], purpose: row["purpose"],
            tags: tags.split(separator: " ").map(String.init), founder: founder, manifestHash: Array(row["manifest_hash"] as Data).hex,
            content: content, receivedAtMs: row["received_at_ms"])
    }
}
