import GRDB

extension NodeStore {
    /// Versioned schema. Never edit a shipped migration: add the next one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-node-and-peers") { db in
            try db.create(table: "node") { t in
                t.column("id", .integer).primaryKey().check { $0 == 1 }
                t.column("network", .text).notNull()
                t.column("public_key", .blob).notNull()
                t.column("key_protection", .text).notNull()
                t.column("kdf_salt", .blob)
                t.column("kdf_ops_limit", .integer)
                t.column("kdf_mem_limit", .integer)
                t.column("key_nonce", .blob).notNull()
                t.column("sealed_key", .blob).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "peer") { t in
                t.column("address", .text).primaryKey()
                t.column("node_id", .blob)
                t.column("source", .text).notNull()
                t.column("added_at", .datetime).notNull()
                t.column("last_connected_at", .datetime)
            }
        }
        migrator.registerMigration("v2-audit-log") { db in
            // Rows keep their insertion order (rowid): verification compares it with the
            // sequence numbers, so reordering rows by editing them is caught.
            try db.create(table: "audit_entry") { t in
                t.column("tcc", .blob).notNull()
                t.column("sequence", .integer).notNull()
                t.column("time_ms", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("detail", .blob).notNull()
                t.column("hash", .blob).notNull()
            }
            try db.create(index: "audit_entry_by_tcc", on: "audit_entry", columns: ["tcc", "sequence"], unique: true)
            try db.create(table: "audit_checkpoint") { t in
                t.column("tcc", .blob).notNull()
                t.column("sequence", .integer).notNull()
                t.column("envelope", .blob).notNull()
            }
        }
        return migrator
    }
}
