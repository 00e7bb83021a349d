import Foundation
import OMSCore
import OMSCrypto
@testable import OMSNode
import OMSProtocol
import OMSStore
import OMSTestKit
import OMSTrust
import Synchronization
import Testing

extension IntegrationTests {
    /// The faults a migration must survive or refuse (issue 7, point 4), each on real nodes with
    /// real swtpms: what is refused leaves the TCF running at the source and nothing at the
    /// destination; what is interrupted completes on a retry or a restart.
    @Suite(.timeLimit(.minutes(2))) struct MigrationFaultTests {
        let root = NodeHarness.temporaryDirectory()

        init() { setenv("TSS2_LOG", "all+none", 1) }

        func pair(sourceTPM: Bool = false, intercept: MigrationNode.Intercept? = nil) async throws -> (MigrationNode, MigrationNode) {
            let a = try MigrationNode.create(in: root, name: "a", tpm: sourceTPM)
            let b = try MigrationNode.create(in: root, name: "b", tpm: true)
            try await a.start()
            try await b.start(intercept: intercept)
            try await a.connect(to: b)
            return (a, b)
        }

        /// Runs a migration that must be refused with `code`, and checks that nothing moved.
        func expectRefused(
            _ code: MigrationError.Code, a: MigrationNode, b: MigrationNode, tcf: TCFID, tcc: TCCRecord, policy: MigrationPolicy,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let before = try a.host.records(of: tcc, stream: .steps)
            do {
                try await a.migrations.migrate(tcf: tcf, to: b.id, policy: policy)
                Issue.record("a migration that should be refused (\(code)) went through", sourceLocation: sourceLocation)
            } catch let error as MigrationError {
                #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            } catch let error as RequestError {
                #expect(error.description.contains("\(code)"), "\(error)", sourceLocation: sourceLocation)
            }
            #expect(try a.store.tcf(tcf)?.state == .running, "the TCF runs at the source again", sourceLocation: sourceLocation)
            #expect(try a.host.records(of: tcc, stream: .steps) == before, sourceLocation: sourceLocation)
            #expect(try b.store.tcf(tcf) == nil, "nothing at the destination", sourceLocation: sourceLocation)
            #expect(try a.store.migrations().last?.phase == .failed, sourceLocation: sourceLocation)
        }

        @Test func aPCRMismatchAnUnknownKeyAndSoftwareTrustAreRefusedBeforeAnythingIsSent() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let (a, b) = try await pair()
            defer { Task { await a.close(); await b.close() } }
            let (tcf, tcc) = try a.tcfWithData(records: 1000)
            // The destination's PCR 16 is not what the owner expects (another boot, other firmware).
            var policy = try b.policy()
            policy.pcrs[16] = SHA256.hash(Array("the expected boot".utf8))
            try await expectRefused(.pcrMismatch, a: a, b: b, tcf: tcf.id, tcc: tcc, policy: policy)
            // An attestation key the owner does not know.
            let stranger = try SoftwareTPM()
            defer { stranger.stop() }
            let unknown = MigrationPolicy(attestationKeys: [try TPM(tcti: stranger.tcti).attestationKey().name])
            try await expectRefused(.unknownAttestationKey, a: a, b: b, tcf: tcf.id, tcc: tcc, policy: unknown)
            // A destination with software trust cannot attest at all.
            let c = try MigrationNode.create(in: root, name: "c", tpm: false)
            try await c.start()
            defer { Task { await c.close() } }
            try await a.connect(to: c)
            try await expectRefused(.untrustedNode, a: a, b: c, tcf: tcf.id, tcc: tcc, policy: try b.policy())
            // A node whose owner did not ask it to take migrations takes none, TPM or not.
            let d = try MigrationNode.create(in: root, name: "d", tpm: true, accept: false)
            try await d.start()
            defer { Task { await d.close() } }
            try await a.connect(to: d)
            try await expectRefused(.notAccepted, a: a, b: d, tcf: tcf.id, tcc: tcc, policy: try d.policy())
        }

        @Test func aLostReceiptKeepsTheTCFFrozenUntilTheDestinationAnswers() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            // The destination imports, but its answers to the first commits are lost (they come
            // after the source stopped waiting): the source must not run the TCF again.
            let lost = Mutex(0)
            let (a, b) = try await pair { frame, peer, migrations in
                guard case .migrationCommit = frame.body, lost.withLock({ $0 }) < 3 else { return nil }
                lost.withLock { $0 += 1 }
                let answer = await migrations.handle(frame, from: peer)
                try? await Task.sleep(for: .seconds(2))
                return answer
            }
            defer { Task { await a.close(); await b.close() } }
            await a.migrations.setCommitTiming(timeout: .milliseconds(500), retry: .milliseconds(300))
            let (tcf, tcc) = try a.tcfWithData(records: 2000)
            let before = try a.host.records(of: tcc, stream: .steps)
            do {
                try await a.migrations.migrate(tcf: tcf.id, to: b.id, policy: try b.policy())
                Issue.record("a migration with every commit answer lost completed")
            } catch let error as MigrationError {
                #expect(error.code == .unknownOutcome)
            }
            #expect(try a.store.tcf(tcf.id)?.state == .moving, "frozen, not running: the destination may hold it")
            #expect(throws: HostingError.self) { try a.host.start(tcf.id) }
            #expect(try b.store.tcf(tcf.id)?.state == .running, "the destination imported it")
            // Asked again, the destination answers with the receipt it stored with the import.
            try await NodeHarness.eventually("the hand-over completes") { try a.store.migrations().first?.phase == .erased }
            #expect(try a.store.tcf(tcf.id) == nil)
            #expect(try b.host.records(of: try b.host.tcc(tcc.id.description), stream: .steps) == before)
            #expect(lost.withLock { $0 } == 3)
        }

        @Test func aFrozenTCFTakesNoWriteEvenFromOneThatHeldItsKey() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let a = try MigrationNode.create(in: root, name: "a", tpm: false)
            let (tcf, tcc) = try a.tcfWithData(records: 10)
            let (device, _) = try a.host.addDevice(to: tcc, name: try Name("phone"), streams: [.steps])
            _ = try a.host.freezeForMigration(tcf.id)
            // As a write that took the key just before the freeze would: straight to the store.
            #expect(throws: (any Error).self) {
                try a.store.insertDevice(
                    DeviceRecord(tcc: tcc.id, name: try Name("late"), streams: [.steps], createdAt: Date()), tokenHash: SecureRandom.bytes(32))
            }
            #expect(throws: HostingError.self) {
                try a.host.ingest(Array("{\"stream\":\"steps\",\"time\":1,\"count\":1}".utf8), format: .ndjson, batch: "late", from: device)
            }
            try a.host.unfreeze(tcf.id)
            try a.store.insertDevice(
                DeviceRecord(tcc: tcc.id, name: try Name("late"), streams: [.steps], createdAt: Date()), tokenHash: SecureRandom.bytes(32))
            await a.close()
        }

        @Test func aQuoteOverAnotherNonceIsRefused() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            // A hostile destination answers with a real quote and certification of its TPM, but
            // over another nonce (one it was given before, say), signed by the node as if fresh.
            let box = Mutex<MigrationNode?>(nil)
            let (a, b) = try await pair { frame, _, _ in
                guard case .migrationOffer(let offer) = frame.body, let b = box.withLock({ $0 }) else { return nil }
                let migration = try! MigrationID(bytes: Array(offer.migration))
                var (attestation, _) = try! MigrationAttestor.attest(
                    tpm: b.tpm!, migration: migration, nonce: SecureRandom.bytes(32), pcrs: offer.pcrs.map { Int($0) }, node: b.identity, trust: .tpm)
                attestation.sign(nonce: Array(offer.nonce), with: b.identity)
                return MigrationWire.attestation(attestation)
            }
            box.withLock { $0 = b }
            defer { Task { await a.close(); await b.close() } }
            let (tcf, tcc) = try a.tcfWithData(records: 100)
            try await expectRefused(.wrongNonce, a: a, b: b, tcf: tcf.id, tcc: tcc, policy: try b.policy())
        }

        @Test func aTamperedChunkIsRefusedAndNothingIsImported() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            // On the way, one bit of the first chunk flips.
            let (a, b) = try await pair { frame, peer, migrations in
                guard case .migrationChunk(var chunk) = frame.body, chunk.index == 0 else { return nil }
                chunk.sealed[chunk.sealed.startIndex + 100] ^= 1
                var tampered = frame
                tampered.migrationChunk = chunk
                return await migrations.handle(tampered, from: peer)
            }
            defer { Task { await a.close(); await b.close() } }
            let (tcf, tcc) = try a.tcfWithData(records: 1000)
            try await expectRefused(.badChunk, a: a, b: b, tcf: tcf.id, tcc: tcc, policy: try b.policy())
        }

        @Test func aReplayedReceiptIsRefused() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            // The destination keeps the receipt of a first, real migration and answers a second
            // one's commit with it, without importing anything.
            let first = Mutex<WireFrame?>(nil)
            let (a, b) = try await pair { frame, peer, migrations in
                guard case .migrationCommit = frame.body else { return nil }
                if let replay = first.withLock({ $0 }) { return replay }
                let answer = await migrations.handle(frame, from: peer)
                first.withLock { $0 = answer }
                return answer
            }
            defer { Task { await a.close(); await b.close() } }
            let (moved, _) = try a.tcfWithData(records: 10)
            #expect(try await a.migrations.migrate(tcf: moved.id, to: b.id, policy: try b.policy()) == .erased)
            let tcf = try a.host.createTCF(name: try Name("second"))
            let tcc = try a.host.createTCC(in: tcf.id, kind: .private, name: try Name("bob"))
            try await expectRefused(.replayedReceipt, a: a, b: b, tcf: tcf.id, tcc: tcc, policy: try b.policy())
        }

        @Test func aDestinationKilledMidTransferLeavesTheTCFAtTheSourceAndARetryCompletes() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let killed = Mutex(false)
            let box = Mutex<MigrationNode?>(nil)
            let (a, b) = try await pair { frame, _, _ in
                guard case .migrationChunk(let chunk) = frame.body, chunk.index == 1, !killed.withLock({ $0 }), let b = box.withLock({ $0 }) else { return nil }
                killed.withLock { $0 = true }
                // The node dies with this chunk in hand: its sessions end, nothing answers.
                Task { await b.stop() }
                try? await Task.sleep(for: .seconds(5))
                return SessionInstance.errorFrame(.shuttingDown, "gone")
            }
            box.withLock { $0 = b }
            defer { Task { await a.close(); await b.close() } }
            let (tcf, tcc) = try a.tcfWithData(records: 120_000)
            let before = try a.host.records(of: tcc, stream: .steps)
            let policy = try b.policy()
            await #expect(throws: (any Error).self) { try await a.migrations.migrate(tcf: tcf.id, to: b.id, policy: policy) }
            #expect(killed.withLock { $0 }, "the destination died mid-transfer")
            #expect(try a.store.tcf(tcf.id)?.state == .running, "the source still serves the TCF")
            #expect(try a.host.records(of: tcc, stream: .steps) == before)
            #expect(try b.store.tcf(tcf.id) == nil)

            // The destination comes back (same directory, same TPM); the owner tries again.
            let again = try b.restarted()
            try await again.start()
            defer { Task { await again.close() } }
            try await a.connect(to: again)
            #expect(try await a.migrations.migrate(tcf: tcf.id, to: again.id, policy: policy) == .erased)
            #expect(try again.host.records(of: try again.host.tcc(tcc.id.description), stream: .steps) == before)
            #expect(try a.store.tcf(tcf.id) == nil)
        }

        @Test func aSourceKilledAfterTheReceiptFinishesTheHandOverOnRestart() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let (a, b) = try await pair()
            defer { Task { await a.close(); await b.close() } }
            let (tcf, tcc) = try a.tcfWithData(records: 5000)
            await a.migrations.setStopAfter(.handedOver)
            await #expect(throws: CancellationError.self) { try await a.migrations.migrate(tcf: tcf.id, to: b.id, policy: try b.policy()) }
            await a.stop()
            // Dead right after storing the receipt: the destination has the TCF, the source still
            // holds its frozen copy and the receipt.
            #expect(try b.store.tcf(tcf.id)?.state == .running)
            #expect(try a.store.tcf(tcf.id)?.state == .moving)
            #expect(try a.store.migrations().first?.phase == .handedOver)

            let restarted = try a.restarted()
            try await restarted.start()
            defer { Task { await restarted.close() } }
            #expect(restarted.host.unopened.isEmpty && (try? restarted.host.key(of: tcf.id)) == nil, "a moving TCF does not reopen")
            await restarted.migrations.resume()
            #expect(try restarted.store.migrations().first?.phase == .erased)
            #expect(try restarted.store.tcf(tcf.id) == nil && (try? restarted.host.tcc(tcc.id.description)) == nil)
            #expect(try restarted.store.tcfLocation(tcf.id)?.node == b.id)
        }

        @Test func aStaleOrForeignLocationRecordIsRefused() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let (a, b) = try await pair(sourceTPM: true)
            defer { Task { await a.close(); await b.close() } }
            let (tcf, _) = try a.tcfWithData(records: 10)
            #expect(try await a.migrations.migrate(tcf: tcf.id, to: b.id, policy: try b.policy()) == .erased)
            let first = try #require(try a.store.tcfLocation(tcf.id))
            // And back: the second move's record supersedes the first everywhere.
            #expect(try await b.migrations.migrate(tcf: tcf.id, to: a.id, policy: try a.policy()) == .erased)
            try await NodeHarness.eventually("a learns the second location") { try a.store.tcfLocation(tcf.id)?.sequence == 2 }
            #expect(try a.store.tcfLocation(tcf.id)?.node == a.id && (try b.store.tcfLocation(tcf.id))?.sequence == 2)
            do {
                try a.store.keepLocation(first)
                Issue.record("a stale location kept")
            } catch let error as MigrationError {
                #expect(error.code == .staleLocation)
            }
            // A record of the same TCF signed by another key is not its owner's: the TCF's id
            // names its owner key, so it does not even open.
            let payload = TCFLocation.payload(tcf: tcf.id, node: b.id, sequence: 9, atMs: 1, migration: .random())
            do {
                _ = try TCFLocation.open(Envelope.sign(type: TCFLocation.type, payload: payload, with: Ed25519.PrivateKey()).bytes)
                Issue.record("a forged location opened")
            } catch { #expect(error.code == .wrongSigner) }
            #expect(try a.store.tcfLocation(tcf.id)?.sequence == 2, "nothing changed")
        }
    }
}
