import Foundation
@testable import OMSNode
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

extension IntegrationTests {
    /// Nodes with real data directories: identity across restarts, reconnection, clean shutdown.
    @Suite(.timeLimit(.minutes(1))) struct RestartTests {
        @Test func aNodeRestartedFromItsDataDirKeepsItsIdentityAndReconnects() async throws {
            let dir = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let data = DataDirectory(dir.appendingPathComponent("b").path)
            let (store, identity) = try NodeStore.initialize(
                directory: data, network: NodeHarness.testNetwork, passphrase: "correct horse",
                argon2: Argon2id.Parameters(opsLimit: 1, memLimit: 8192))

            let a = Node(configuration: NodeHarness.configuration(), store: nil, logger: NodeHarness.quietLogger)
            try await a.bind()
            let aAddress = await NodeHarness.address(a)
            try await NodeHarness.run([a]) {
                let first = Node(
                    configuration: NodeHarness.configuration(identity: identity, bootstrap: [aAddress]), store: store,
                    logger: NodeHarness.quietLogger)
                try await NodeHarness.run([first]) {
                    try await NodeHarness.eventually("b connected") { await NodeHarness.peers(of: a) == [first.id] }
                }
                // b stopped: a notices at once (the goodbye), not after the idle time-out.
                try await NodeHarness.eventually("a saw b leave", timeout: .seconds(1)) { await NodeHarness.peers(of: a).isEmpty }

                // A new process would reopen the store and unlock the key; a wrong passphrase fails.
                let reopened = try NodeStore(directory: data)
                #expect(throws: StoreError.self) { try reopened.unlockIdentity(.passphrase("wrong")) }
                let unlocked = try reopened.unlockIdentity(.passphrase("correct horse"))
                // The bootstrap is not given again: the peer remembered in the store is dialled.
                let second = Node(
                    configuration: NodeHarness.configuration(identity: unlocked), store: reopened, logger: NodeHarness.quietLogger)
                #expect(second.id == first.id)
                try await NodeHarness.run([second]) {
                    try await NodeHarness.eventually("b reconnected from its stored peers") { await NodeHarness.peers(of: a) == [second.id] }
                }
                #expect(try reopened.peers().first?.nodeID == a.id, "the store learned who answers at that address")
            }
        }

        @Test func aDiallerRetriesWithBackoffUntilThePeerAppears() async throws {
            // Find a free port, then leave it closed for a while.
            let probe = Node(configuration: NodeHarness.configuration(), store: nil, logger: NodeHarness.quietLogger)
            try await probe.bind()
            let port = await NodeHarness.address(probe).port
            try await NodeHarness.run([probe]) {}

            let late = Node(
                configuration: NodeConfiguration(
                    identity: .init(), trust: .keyFile, network: NodeHarness.testNetwork, listen: try Endpoint(host: "127.0.0.1", port: port),
                    session: .init(pingInterval: .milliseconds(200), idleTimeout: .seconds(3)),
                    backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(400))),
                store: nil, logger: NodeHarness.quietLogger)
            let dialler = Node(
                configuration: NodeHarness.configuration(bootstrap: [try Endpoint(host: "127.0.0.1", port: port)]),
                store: nil, logger: NodeHarness.quietLogger)
            try await NodeHarness.run([dialler]) {
                try await NodeHarness.eventually("a few failed dials") {
                    (await dialler.status().dialing.first?.failures ?? 0) >= 3
                }
                try await NodeHarness.run([late]) {
                    try await NodeHarness.eventually("connected once the peer is up") { await NodeHarness.peers(of: dialler) == [late.id] }
                    #expect(await dialler.status().dialing.first?.failures == 0, "a session resets the back-off")
                }
            }
        }
    }
}
