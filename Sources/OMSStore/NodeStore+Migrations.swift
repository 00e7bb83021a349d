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
        migrator.registerMigration("v3-hosting") { db in
            // TCFs and what they hold. Secret keys are stored sealed (TCFSealing); ids are
            // public keys or random bytes, kept as 32-byte blobs. TCCs are rows, looked up by
            // id or through a persona's index, never all loaded: a TCF may hold millions.
            try db.create(table: "tcf") { t in
                t.column("id", .blob).primaryKey()
                t.column("name", .text).notNull().unique()
                t.column("owner_key", .blob).notNull()
                t.column("state", .text).notNull()
                t.column("wrapped_key", .blob).notNull()
                t.column("sealed_owner", .blob).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "tcc", options: .withoutRowID) { t in
                t.column("id", .blob).primaryKey()
                t.column("tcf", .blob).notNull().references("tcf", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("name", .text).notNull()
                t.column("sealed_key", .blob).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(index: "tcc_by_name", on: "tcc", columns: ["tcf", "name"], unique: true)
            try db.create(table: "persona", options: .withoutRowID) { t in
                t.column("id", .blob).primaryKey()
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("context", .text).notNull()
                t.column("sealed_key", .blob).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(index: "persona_by_context", on: "persona", columns: ["tcc", "context"], unique: true)
            try db.create(table: "persona_link") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("first", .blob).notNull()
                t.column("second", .blob).notNull()
                t.column("envelope", .blob).notNull()
                t.uniqueKey(["tcc", "first", "second"])
            }
            try db.create(table: "claim") { t in
                t.column("id", .blob).notNull()
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("role", .text).notNull()
                t.column("type", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("envelope", .blob).notNull()
                t.column("added_at", .datetime).notNull()
                t.uniqueKey(["tcc", "id"])
            }
            try db.create(table: "claim_revocation") { t in
                t.column("issuer", .blob).notNull()
                t.column("revocation_id", .blob).notNull()
                t.column("envelope", .blob).notNull()
                t.primaryKey(["issuer", "revocation_id"])
            }
            try db.create(table: "relationship") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("peer", .text).notNull()
                t.column("persona", .blob)
                t.column("label", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.uniqueKey(["tcc", "peer"])
            }
            try db.create(table: "membership") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("community", .blob).notNull()
                t.column("persona", .blob)
                t.column("role", .text).notNull()
                t.column("joined_at", .datetime).notNull()
                t.uniqueKey(["tcc", "community"])
            }
            try db.create(table: "policy") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("body", .text).notNull()
                t.column("updated_at", .datetime).notNull()
                t.primaryKey(["tcc", "name"])
            }
        }
        migrator.registerMigration("v4-data") { db in
            // Policies are versioned: `policy` holds each named document's current text, and
            // every text ever set stays in `policy_version`.
            try db.alter(table: "policy") { t in t.add(column: "version", .integer).notNull().defaults(to: 1) }
            try db.create(table: "policy_version") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("body", .text).notNull()
                t.column("set_at", .datetime).notNull()
                t.primaryKey(["tcc", "name", "version"])
            }
            try db.execute(sql: "INSERT INTO policy_version (tcc, name, version, body, set_at) SELECT tcc, name, 1, body, updated_at FROM policy")
            // Streams an owner declared (built-in ones have fixed schemas and no row).
            try db.create(table: "stream") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("schema", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.primaryKey(["tcc", "name"])
            }
            // Each TCC's data key, sealed under its TCF's key (itself wrapped by the node key).
            try db.create(table: "data_key") { t in
                t.column("tcc", .blob).primaryKey().references("tcc", onDelete: .cascade)
                t.column("sealed", .blob).notNull()
            }
            // Devices are known by the hash of their token; the token itself is shown once.
            try db.create(table: "device") { t in
                t.column("token_hash", .blob).primaryKey()
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("streams", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.uniqueKey(["tcc", "name"])
            }
            try db.create(table: "ingest_batch") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("device", .text).notNull()
                t.column("batch", .text).notNull()
                t.column("records", .integer).notNull()
                t.column("received_at", .datetime).notNull()
                t.primaryKey(["tcc", "device", "batch"])
            }
            // Records, sealed a block at a time; the index holds only stream and time.
            try db.create(table: "record_block") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("stream", .text).notNull()
                t.column("start_ms", .integer).notNull()
                t.column("end_ms", .integer).notNull()
                t.column("count", .integer).notNull()
                t.column("sealed", .blob).notNull()
            }
            try db.create(index: "record_block_by_time", on: "record_block", columns: ["tcc", "stream", "start_ms"])
            // What the rule engine must remember across restarts: each requester's spent
            // privacy budget, and the queries it answered (for replays and rate limits).
            try db.create(table: "privacy_spend") { t in
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("requester", .text).notNull()
                t.column("spent", .double).notNull()
                t.primaryKey(["tcc", "requester"])
            }
            try db.create(table: "exchange") { t in
                t.column("query", .blob).primaryKey()
                t.column("tcc", .blob).notNull().references("tcc", onDelete: .cascade)
                t.column("requester", .text).notNull()
                t.column("at_ms", .integer).notNull()
                t.column("expires_ms", .integer).notNull()
                t.column("outcome", .text).notNull()
            }
            try db.create(index: "exchange_by_requester", on: "exchange", columns: ["tcc", "requester", "at_ms"])
        }
        migrator.registerMigration("v5-communities") { db in
            // A replica of each community log this node holds (protocol-spec §15). Events keep
            // their arrival order (rowid), in which parents always precede children, so the log
            // is rebuilt by reading them back in that order.
            try db.create(table: "community") { t in
                t.column("id", .blob).primaryKey()
                t.column("added_at", .datetime).notNull()
            }
            try db.create(table: "community_event") { t in
                t.column("community", .blob).notNull().references("community", onDelete: .cascade)
                t.column("id", .blob).notNull()
                t.column("envelope", .blob).notNull()
                t.uniqueKey(["community", "id"])
            }
            // Members' signed answers to the community's questions, kept by the asking node
            // until the manifest's retention after the member leaves runs out.
            try db.create(table: "community_contribution") { t in
                t.column("community", .blob).notNull().references("community", onDelete: .cascade)
                t.column("member", .blob).notNull()
                t.column("question", .blob).notNull()
                t.column("envelope", .blob).notNull()
                t.column("at_ms", .integer).notNull()
            }
            try db.create(index: "community_contribution_by_member", on: "community_contribution", columns: ["community", "member"])
        }
        migrator.registerMigration("v6-catalog") { db in
            // The public manifests this node has heard of by gossip (protocol-spec §17). A node
            // that ran the first form of this migration gets the catalog again in v8.
            try createCatalog(db)
        }
        migrator.registerMigration("v7-incarnation") { db in
            // Where this node's SWIM incarnation may start after a restart: above any it used
            // (protocol-spec §17), kept a block ahead so that it is written rarely.
            try db.alter(table: "node") { t in t.add(column: "incarnation_reserved", .integer).notNull().defaults(to: 0) }
        }
        migrator.registerMigration("v8-catalog-keys") { db in
            // The catalog again, with an integer key that its full-text index shares as rowid (a
            // BLOB key's rowid may change on VACUUM, which would mismatch the two). It is a cache
            // of what gossip brings: rebuilt empty, push-pull fills it again.
            try db.execute(sql: "DROP TABLE catalog_text")
            try db.drop(table: "catalog")
            try createCatalog(db)
        }
        migrator.registerMigration("v9-tpm-sealed-identity") { db in
            // The master key the TPM sealed, when the identity is protected by one (issue 7).
            try db.alter(table: "node") { t in
                t.add(column: "tpm_tcti", .text)
                t.add(column: "tpm_public", .blob)
                t.add(column: "tpm_private", .blob)
            }
        }
        migrator.registerMigration("v10-migration") { db in
            // The TCFs this node sends away (protocol-spec §18): a row per attempt, its phase,
            // and once the destination has it the receipt and the location record, so that a
            // restart finishes the hand-over.
            try db.create(table: "migration") { t in
                t.column("id", .blob).primaryKey()
                t.column("tcf", .blob).notNull()
                t.column("destination", .blob).notNull()
                t.column("phase", .text).notNull()
                // What the hand-over needs after a restart: the location record's number (the
                // archive's) and the archive's digest, which the receipt must name.
                t.column("location_sequence", .integer).notNull()
                t.column("archive_digest", .blob).notNull()
                t.column("receipt", .blob)
                t.column("location", .blob)
                t.column("failure", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            // The sequence number of the TCF's latest location record: it travels in the TCF's
            // own rows, so whichever node holds the TCF numbers its next move right.
            try db.alter(table: "tcf") { t in t.add(column: "location_sequence", .integer).notNull().defaults(to: 0) }
            // A TCF frozen for a migration takes no writes: a write that took the TCF's key just
            // before the freeze is refused here, inside its own transaction, rather than land
            // after the archive was taken and be lost with the source's copy.
            for table in frozenTables {
                let tcf = table == "tcc" ? "NEW.tcf" : "(SELECT tcf FROM tcc WHERE id = NEW.tcc)"
                for event in ["INSERT", "UPDATE"] {
                    try db.execute(
                        sql: """
                            CREATE TRIGGER frozen_\(table)_\(event.lowercased()) BEFORE \(event) ON \(table)
                            WHEN (SELECT state FROM tcf WHERE id = \(tcf)) = 'moving'
                            BEGIN SELECT RAISE(ABORT, 'the TCF is moving to another node: it takes no writes until the migration ends'); END
                            """)
                }
            }
            // The receipts this node gave for TCFs it took in, written with the import: a source
            // that lost the answer asks again and gets the same one, even after a restart.
            try db.create(table: "migration_receipt") { t in
                t.column("migration", .blob).primaryKey()
                t.column("tcf", .blob).notNull()
                t.column("frame", .blob).notNull()
            }
            // Where each TCF this node has heard of lives, by its owner-signed location records.
            try db.create(table: "tcf_location") { t in
                t.column("tcf", .blob).primaryKey()
                t.column("node", .blob).notNull()
                t.column("sequence", .integer).notNull()
                t.column("envelope", .blob).notNull()
            }
        }
        return migrator
    }

    /// The tables whose rows belong to a TCC (or, for `tcc`, to a TCF), which a frozen TCF's
    /// triggers guard: every archived table but `tcf` itself and `claim_revocation` (keyed by
    /// issuer, and written only through a TCC's claims).
    static let frozenTables = archivedTables.map(\.name).filter { !["tcf", "claim_revocation"].contains($0) }

    /// The latest announcement of each community, keyed by an integer id that its full-text
    /// index over name, purpose and tags shares as rowid (written in one transaction).
    static func createCatalog(_ db: Database) throws {
        try db.create(table: "catalog") { t in
            t.primaryKey("id", .integer)
            t.column("community", .blob).notNull().unique()
            t.column("kind", .text).notNull()
            t.column("version", .integer).notNull()
            t.column("content", .blob).notNull()
            t.column("name", .text).notNull()
            t.column("purpose", .text).notNull()
            t.column("tags", .text).notNull()
            t.column("founder", .blob).notNull()
            t.column("manifest_hash", .blob).notNull()
            t.column("announcement", .blob).notNull()
            t.column("received_at_ms", .integer).notNull()
        }
        try db.execute(sql: "CREATE VIRTUAL TABLE catalog_text USING fts5(name, purpose, tags)")
    }
}
