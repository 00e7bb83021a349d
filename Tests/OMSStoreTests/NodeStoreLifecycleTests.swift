import Foundation
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// Initialising, reopening and the refusals around them.
@Suite struct NodeStoreLifecycleTests {
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
