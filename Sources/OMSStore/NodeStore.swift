import Foundation
import GRDB
import OMSCrypto
import OMSProtocol

/// The node's SQLite database (WAL, `synchronous=FULL`): its identity and its known peers.
/// Later issues add their tables through new migrations in `NodeStore+Migrations.swift`.
public final class NodeStore: Sendable {
    let pool: DatabasePool
    public let directory: DataDirectory

    /// Opens (and migrates) the database of an initialised data directory.
    public init(directory: DataDirectory) throws {
        guard directory.exists else {
            throw StoreError(
                .notInitialized,
                "no node in \(directory.path): run 'oms init --data-dir \(directory.path)' first")
        }
        self.directory = directory
        pool = try Self.openPool(directory.database)
    }

    private init(directory: DataDirectory, pool: DatabasePool) {
        self.directory = directory
        self.pool = pool
    }

    static func openPool(_ url: URL) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // An acknowledged write must survive power loss (DESIGN principle 7).
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // What is deleted or overwritten is zeroed on disk, not left in free pages: a TCF
            // erased after a migration, a removed device's token hash, an old policy.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: url.path, configuration: configuration)
        try NodeStore.migrator.migrate(pool)
        return pool
    }

    /// Creates a node in an empty data directory: a new identity key, sealed as asked (under
    /// a master key the TPM sealed, a passphrase, or a key file).
    public static func initialize(
        directory: DataDirectory, network: NetworkID, passphrase: String?, tpm: (sealed: TPMSealedKey, masterKey: SecureBytes)? = nil,
        argon2: Argon2id.Parameters = .moderate
    ) throws -> (store: NodeStore, identity: Ed25519.PrivateKey) {
        guard !directory.exists else {
            throw StoreError(.alreadyInitialized, "\(directory.path) already holds a node; use another --data-dir")
        }
        try directory.create()
        do {
            return try create(directory: directory, network: network, passphrase: passphrase, tpm: tpm, argon2: argon2)
        } catch {
            // Leave no half-made node behind: 'init' would refuse it and 'run' could not open it.
            for file in [directory.keyFile.path] + ["", "-wal", "-shm"].map({ directory.database.path + $0 }) {
                try? FileManager.default.removeItem(atPath: file)
            }
            throw error
        }
    }

    private static func create(
        directory: DataDirectory, network: NetworkID, passphrase: String?, tpm: (sealed: TPMSealedKey, masterKey: SecureBytes)?,
        argon2: Argon2id.Parameters
    ) throws -> (store: NodeStore, identity: Ed25519.PrivateKey) {
        let identity = Ed25519.PrivateKey()
        let sealed = try IdentityVault.seal(identity, passphrase: passphrase, tpm: tpm, keyFile: directory.keyFile, parameters: argon2)
        let pool = try openPool(directory.database)
        // Owner-only files; SQLite creates later -wal and -shm files with the database's mode.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: directory.database.path + suffix) {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.database.path + suffix)
        }
        try pool.write { db in
            try NodeRow(network: network.rawValue, sealed: sealed, createdAt: Date()).insert(db)
        }
        return (NodeStore(directory: directory, pool: pool), identity)
    }

    public func network() throws -> NetworkID {
        try NetworkID(try nodeRow().network)
    }

    public func publicIdentity() throws -> NodeID {
        let row = try nodeRow()
        return try NodeID(bytes: row.publicKey)
    }

    /// Opens the identity key; refuses a wrong passphrase or a bad key file with a clear message.
    public func unlockIdentity(_ unlock: IdentityUnlock) throws -> Ed25519.PrivateKey {
        try IdentityVault.open(try nodeRow().sealed, with: unlock, keyFile: directory.keyFile)
    }

    /// How the identity key is protected, without unlocking it.
    public func identityProtection() throws -> IdentityKeyProtection { try nodeRow().sealed.protection }

    /// Where this node's SWIM incarnation may start: above every one it has used.
    public func reservedIncarnation() throws -> UInt64 {
        try pool.read { db in UInt64(clamping: try Int64.fetchOne(db, sql: "SELECT incarnation_reserved FROM node") ?? 0) }
    }

    /// Reserves incarnations up to `limit`: a restart starts at it or above.
    public func reserveIncarnation(upTo limit: UInt64) throws {
        try write { db in try db.execute(sql: "UPDATE node SET incarnation_reserved = ?", arguments: [Int64(clamping: limit)]) }
    }

    private func nodeRow() throws -> NodeRow {
        guard let row = try pool.read({ try NodeRow.fetchOne($0) }) else {
            throw StoreError(.corrupt, "\(directory.database.path) has no node row; re-run 'oms init' in a new directory")
        }
        return row
    }

    // MARK: Peers

    /// Remembers `endpoint` as a peer to connect to. Adding an address again keeps its history.
    @discardableResult
    public func addPeer(_ endpoint: Endpoint, source: PeerRecord.Source, nodeID: NodeID? = nil) throws -> Bool {
        try pool.write { db in
            if var existing = try PeerRecord.fetchOne(db, key: endpoint.description) {
                if existing.source == .learned && source == .configured { existing.source = .configured }
                if let nodeID { existing.nodeID = nodeID }
                try existing.update(db)
                return false
            }
            try PeerRecord(endpoint: endpoint, nodeID: nodeID, source: source, addedAt: Date()).insert(db)
            return true
        }
    }

    @discardableResult
    public func removePeer(_ endpoint: Endpoint) throws -> Bool {
        try pool.write { db in try PeerRecord.deleteOne(db, key: endpoint.description) }
    }

    /// Forgets `endpoint` only if it was learned, never one the owner configured.
    @discardableResult
    public func removeLearnedPeer(_ endpoint: Endpoint) throws -> Bool {
        try pool.write { db in
            try PeerRecord.filter(Column("address") == endpoint.description && Column("source") == PeerRecord.Source.learned.rawValue)
                .deleteAll(db) > 0
        }
    }

    public func peers() throws -> [PeerRecord] {
        try pool.read { db in try PeerRecord.order(Column("address")).fetchAll(db) }
    }

    /// Notes a successful session with the node at `endpoint`.
    public func recordConnected(_ endpoint: Endpoint, nodeID: NodeID, at date: Date = Date()) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE peer SET node_id = ?, last_connected_at = ? WHERE address = ?",
                arguments: [Data(nodeID.bytes), date, endpoint.description])
        }
    }
}
