import Foundation
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// Initialising, reopening and the refusals around them.
@Suite struct NodeStoreLifecycleTests {
    /// SWIM incarnations reserved before use survive a restart, so a node restarted after
    /// refuting many times starts above its last life (protocol-spec §17).
    @Test func reservedIncarnationsSurviveAReopen() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        #expect(try store.reservedIncarnation() == 0)
        try store.reserveIncarnation(upTo: 1_900_000_123)
        #expect(try NodeStore(directory: scratch.data).reservedIncarnation() == 1_900_000_123)
        try store.reserveIncarnation(upTo: .max)
        #expect(try store.reservedIncarnation() == UInt64(Int64.max), "kept as SQLite's largest integer")
    }

    @Test func reopenKeepsNodeIDAndNetwork() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, identity) = try scratch.initialize()
        let nodeID = try store.publicIdentity()
        #expect(nodeID == NodeID(publicKey: identity.publicKey))
        #expect(try store.network() == ScratchDirectory.testNetwork)

        let reopened = try NodeStore(directory: DataDirectory(scratch.data.path))
        #expect(try reopened.publicIdentity() == nodeID)
        #expect(try reopened.network() == ScratchDirectory.testNetwork)
    }

    @Test func initializingTwiceIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (_, identity) = try scratch.initialize()
        let error = storeError { try scratch.initialize() }
        #expect(error?.code == .alreadyInitialized)
        // The first node is untouched.
        let reopened = try NodeStore(directory: scratch.data)
        #expect(try reopened.unlockIdentity(.keyFile).publicKey == identity.publicKey)
    }

    @Test func openingAnEmptyDirectoryIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        try scratch.data.create()
        let error = storeError { try NodeStore(directory: scratch.data) }
        #expect(error?.code == .notInitialized)
        #expect(error?.context.contains("oms init") == true)
    }

    @Test func openingAMissingDirectoryIsRefused() {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        #expect(storeError { try NodeStore(directory: scratch.data) }?.code == .notInitialized)
        #expect(!FileManager.default.fileExists(atPath: scratch.data.path))
    }
}

@Suite struct DataDirectoryModeTests {
    @Test func initialisingIntoAnOpenDirectoryMakesItOwnerOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oms-mode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        let directory = DataDirectory(dir.path)
        _ = try NodeStore.initialize(
            directory: directory, network: .main, passphrase: nil, argon2: Argon2id.Parameters(opsLimit: 1, memLimit: 8192))
        let dirMode = try FileManager.default.attributesOfItem(atPath: dir.path)[.posixPermissions] as? Int
        let dbMode = try FileManager.default.attributesOfItem(atPath: directory.database.path)[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        #expect(dbMode == 0o600)
    }
}
