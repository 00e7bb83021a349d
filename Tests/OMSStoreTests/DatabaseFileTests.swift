import Foundation
import GRDB
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// What is on disk: the SQLite file's mode, schema and contents, read around the store.
@Suite struct DatabaseFileTests {
    /// The bytes of every SQLite file of the node (the database and its WAL), where a row may
    /// sit before a checkpoint.
    static func databaseBytes(_ directory: DataDirectory) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for suffix in ["", "-wal"] {
            let path = directory.database.path + suffix
            if let data = FileManager.default.contents(atPath: path) { bytes += data }
        }
        return bytes
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    @Test(arguments: [nil, "a passphrase"] as [String?])
    func sealedKeyDoesNotHoldTheSeedInClear(passphrase: String?) throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (_, identity) = try scratch.initialize(passphrase: passphrase)
        let bytes = try Self.databaseBytes(scratch.data)
        // The search can see the row: the public key is stored in clear.
        #expect(Self.contains(bytes, identity.publicKey.rawRepresentation))
        #expect(!Self.contains(bytes, identity.seed.exposedBytes))
        // Nor does any other file of the data directory.
        for name in try FileManager.default.contentsOfDirectory(atPath: scratch.data.path) {
            let data = try #require(
                FileManager.default.contents(atPath: scratch.data.url.appendingPathComponent(name).path))
            #expect(!Self.contains(Array(data), identity.seed.exposedBytes), "\(name)")
        }
    }

    @Test func databaseIsInWALModeWithMigrationsRecorded() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let queue = try DatabaseQueue(path: scratch.data.database.path)
        let (mode, migrations, tables) = try queue.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"),
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            )
        }
        #expect(mode == "wal")
        #expect(migrations == ["v1-node-and-peers", "v2-audit-log", "v3-hosting", "v4-data", "v5-communities", "v6-catalog", "v7-incarnation", "v8-catalog-keys", "v9-tpm-sealed-identity", "v10-migration"])
        #expect(tables.contains("node") && tables.contains("peer") && tables.contains("audit_entry"))
        _ = store
    }

    @Test func swappedPublicKeyIsRefusedOnUnlock() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let other = Ed25519.PrivateKey().publicKey.rawRepresentation
        let queue = try DatabaseQueue(path: scratch.data.database.path)
        try queue.write { db in
            try db.execute(sql: "UPDATE node SET public_key = ?", arguments: [Data(other)])
        }
        let error = storeError { try store.unlockIdentity(.keyFile) }
        #expect(error?.code == .corrupt || error?.code == .badKeyFile)

        let reopened = try NodeStore(directory: scratch.data)
        let again = storeError { try reopened.unlockIdentity(.keyFile) }
        #expect(again?.code == .corrupt || again?.code == .badKeyFile)
    }
}
