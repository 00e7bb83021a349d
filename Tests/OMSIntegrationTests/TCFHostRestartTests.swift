import Foundation
import OMSCore
import OMSCrypto
import OMSNode
import OMSStore
import Testing

extension IntegrationTests {
    /// What a TCF host finds when the node starts again on the same data directory.
    @Suite struct TCFHostRestartTests {
        let root = NodeHarness.temporaryDirectory()

        @Test func runningTCFsReopenStoppedOnesStayStoppedAndAnotherNodesKeyOpensNothing() throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let directory = DataDirectory(root.appendingPathComponent("n").path)
            let (store, identity) = try NodeStore.initialize(
                directory: directory, network: NodeHarness.testNetwork, passphrase: nil, argon2: APINode.fastArgon2)
            let first = try TCFHost(store: store, nodeIdentity: identity)
            let home = try first.createTCF(name: try Name("home"))
            let spare = try first.createTCF(name: try Name("spare"))
            _ = try first.stop(spare.id)

            let again = try TCFHost(store: store, nodeIdentity: identity)
            #expect(again.unopened.isEmpty)
            let alice = try again.createTCC(in: home.id, kind: .private, name: try Name("alice"))
            #expect(try again.verifyAudit(of: alice).problems.isEmpty, "the reopened key signs checkpoints that verify")
            #expect(throws: HostingError.self) { try again.createTCC(in: spare.id, kind: .private, name: try Name("bob")) }
            #expect(try store.tcf(spare.id)?.state == .stopped, "a stopped TCF stays stopped across restarts")

            // The same database under another node's identity (copied, or a wrong key): the node
            // still starts, the TCF stays closed and says why.
            let stranger = try TCFHost(store: store, nodeIdentity: Ed25519.PrivateKey())
            #expect(stranger.unopened.keys.contains(home.id))
            #expect(throws: HostingError.self) { try stranger.createTCC(in: home.id, kind: .private, name: try Name("eve")) }
            #expect(throws: StoreError.self) { try stranger.start(home.id) }
        }
    }
}
