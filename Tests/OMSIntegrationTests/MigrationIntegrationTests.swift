import Foundation
import OMSCore
import OMSCrypto
@testable import OMSNode
import OMSProtocol
import OMSStore
import OMSTestKit
import OMSTrust
import Testing

extension IntegrationTests {
    /// TCFs moving between real nodes over loopback, each destination with a swtpm of its own:
    /// the whole hand-over, and each fault the protocol must survive or refuse.
    @Suite(.timeLimit(.minutes(2))) struct MigrationIntegrationTests {
        let root = NodeHarness.temporaryDirectory()

        /// Two running nodes, `a` (software trust) connected to `b` (TPM-sealed).
        func pair(sourceTPM: Bool = false) async throws -> (MigrationNode, MigrationNode) {
            let a = try MigrationNode.create(in: root, name: "a", tpm: sourceTPM)
            let b = try MigrationNode.create(in: root, name: "b", tpm: true)
            try await a.start()
            try await b.start()
            try await a.connect(to: b)
            return (a, b)
        }

        @Test func aTCFMovesWholeAndTheSourceErasesIt() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            setenv("TSS2_LOG", "all+none", 1)
            let (a, b) = try await pair()
            defer { Task { await a.close(); await b.close() } }
            let (tcf, tcc) = try a.tcfWithData(records: 100_000)
            let before = try a.host.records(of: tcc, stream: .steps)
            #expect(b.node.id != a.node.id)

            let phase = try await a.migrations.migrate(tcf: tcf.id, to: b.id, policy: try b.policy())
            #expect(phase == .erased)
            let progress = try #require(await a.migrations.statuses().first)
            #expect(progress.chunks >= 2 && progress.chunksAcknowledged == progress.chunks && progress.phase == .erased)
            // The source holds nothing of it: no TCF row, no TCC, a record of the hand-over.
            #expect(try a.store.tcf(tcf.id) == nil && (try? a.host.tcc(tcc.id.description)) == nil)
            let record = try #require(try a.store.migrations().first)
            #expect(record.phase == .erased && record.receipt != nil && record.location != nil)
            // The destination runs it, with every record, under its own keys.
            #expect(try b.store.tcf(tcf.id)?.state == .running)
            let moved = try b.host.tcc(tcc.id.description)
            #expect(try b.host.records(of: moved, stream: .steps) == before)
            #expect(try b.host.verifyAudit(of: moved).problems.isEmpty)
            // Both know where it is now.
            #expect(try a.store.tcfLocation(tcf.id)?.node == b.id)
            try await NodeHarness.eventually("b learns the location by gossip") { try b.store.tcfLocation(tcf.id)?.node == b.id }
        }
    }
}
