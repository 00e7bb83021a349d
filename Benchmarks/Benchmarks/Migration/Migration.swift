// TPM attestation and TCF migration (issue 7): each TPM command OMS makes, against one TPM
// command's round trip (the floor: swtpm over the TCTI); a quote's verification against a raw
// P-256 ECDSA verify (swift-crypto); and a 100 MB TCF migrated between two real nodes on
// loopback, each with its own swtpm, end to end (attestation, 1 MiB chunks sealed to the
// transfer key, import and re-sealing, receipt, location record, erasure), against the raw
// XChaCha20-Poly1305 of the same bytes in the same chunks.

import Benchmark
import Crypto
import Foundation
import Logging
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore
import OMSTestKit
import OMSTrust
import Synchronization

/// A node with its own swtpm, its key sealed by it, serving migrations.
final class TPMNode: @unchecked Sendable {
    let swtpm: SoftwareTPM
    let tpm: TPM
    let store: NodeStore
    let host: TCFHost
    let node: Node
    let migrations: Migrations
    var run: Task<Void, any Error>?

    init(root: URL, name: String, network: NetworkID) async throws {
        swtpm = try SoftwareTPM()
        tpm = try TPM(tcti: swtpm.tcti)
        let master = SecureBytes.random(count: 32)
        let sealed = try tpm.seal(master)
        let (store, identity) = try NodeStore.initialize(
            directory: DataDirectory(root.appendingPathComponent(name).path), network: network, passphrase: nil,
            tpm: (TPMSealedKey(tcti: swtpm.tcti, publicArea: sealed.publicArea.bytes, privateBlob: sealed.privateBlob), master))
        self.store = store
        host = try TCFHost(store: store, nodeIdentity: identity)
        let quiet = Logger(label: "oms.bench") { _ in SwiftLogNoOpLogHandler() }
        let node = Node(
            configuration: NodeConfiguration(identity: identity, trust: .tpm, network: network, listen: try Endpoint(host: "127.0.0.1", port: 0), greetPeers: false),
            store: store, logger: quiet)
        self.node = node
        let migrations = Migrations(node: node, host: host, identity: identity, trust: .tpm, tpm: tpm, acceptIncoming: true, logger: quiet, publish: { await node.publish($0) })
        self.migrations = migrations
        await node.serveRequests { frame, peer in await migrations.handle(frame, from: peer) }
        try await node.bind()
        run = Task { try await node.run() }
    }

    func policy() throws -> MigrationPolicy {
        MigrationPolicy(attestationKeys: [try tpm.attestationKey().name], pcrs: try tpm.readPCRs([0, 7]))
    }

    func stop() async {
        run?.cancel()
        _ = try? await run?.value
        swtpm.stop()
    }
}

/// Two TPM nodes, connected, and a TCF of about 100 MB on the first; each iteration moves it to
/// the other side.
final class MigrationPair: @unchecked Sendable {
    let a: TPMNode
    let b: TPMNode
    let tcf: TCFID
    let root: URL
    var here: TPMNode
    var there: TPMNode

    static let records = 4_700_000

    init() async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-migration-bench-\(getpid())")
        let network = try NetworkID("oms-bench")
        a = try await TPMNode(root: root, name: "a", network: network)
        b = try await TPMNode(root: root, name: "b", network: network)
        let tcf = try a.host.createTCF(name: try Name("home"))
        let tcc = try a.host.createTCC(in: tcf.id, kind: .private, name: try Name("alice"))
        let device = try a.host.addDevice(to: tcc, name: try Name("watch"), streams: [.steps]).device
        var offset = 0
        while offset < Self.records {
            let count = min(IngestBatch.maximumRecords, Self.records - offset)
            let body = (offset..<offset + count).map { "{\"stream\":\"steps\",\"time\":\(1_700_000_000_000 + Int64($0) * 1000),\"count\":\($0 % 20000)}" }
                .joined(separator: "\n")
            _ = try a.host.ingest(Array(body.utf8), format: .ndjson, batch: "b-\(offset)", from: device)
            offset += count
        }
        self.tcf = tcf.id
        here = a
        there = b
        try await a.node.addPeer(await b.node.listeningAddress!)
        let deadline = ContinuousClock.now + .seconds(10)
        func connected() async -> Bool {
            let mine = await a.node.connectedPeers()
            let theirs = await b.node.connectedPeers()
            return mine.contains(b.node.id) && theirs.contains(a.node.id)
        }
        while await !connected() {
            guard ContinuousClock.now < deadline else { fatalError("no session between the two nodes after 10 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Moves the TCF to the other node; traps unless it is handed over and erased.
    func move() async throws {
        guard try await here.migrations.migrate(tcf: tcf, to: there.node.id, policy: try there.policy()) == .erased else {
            fatalError("the migration did not complete")
        }
        swap(&here, &there)
    }

    func archiveBytes() async -> UInt64 { await (a.migrations.statuses() + b.migrations.statuses()).last?.archiveBytes ?? 0 }

    func stop() async {
        await a.stop()
        await b.stop()
        try? FileManager.default.removeItem(at: root)
    }
}

let pairs = Mutex<[MigrationPair]>([])
let tpms = Mutex<[SoftwareTPM]>([])

func startTPM() throws -> TPM {
    let swtpm = try SoftwareTPM()
    tpms.withLock { $0.append(swtpm) }
    return try TPM(tcti: swtpm.tcti)
}

func stopTPMs() {
    for swtpm in tpms.withLock({ list in defer { list = [] }; return list }) { swtpm.stop() }
}

let benchmarks: @Sendable () -> Void = {
    setenv("TSS2_LOG", "all+none", 1)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput], timeUnits: .microseconds, warmupIterations: 3, scalingFactor: .one,
        maxDuration: .seconds(5), maxIterations: 500)

    let pcrs = try! PCRSelection([0, 7, 16])
    Benchmark("TPM: one command round trip (GetRandom 32), the floor") { benchmark, tpm in
        blackHole(try tpm.random(32))
    } setup: { try startTPM() } teardown: { stopTPMs() }

    Benchmark("TPM: quote of 3 PCRs (the AK made from the endorsement seed, used, flushed)") { benchmark, tpm in
        blackHole(try tpm.quote(pcrs, qualifyingData: SecureRandom.bytes(32)))
    } setup: { try startTPM() } teardown: { stopTPMs() }

    Benchmark("TPM: transfer key created and certified by the AK") { benchmark, tpm in
        let key = try tpm.createTransferKey()
        blackHole(try tpm.certify(key, qualifyingData: SecureRandom.bytes(32)))
    } setup: { try startTPM() } teardown: { stopTPMs() }

    Benchmark("TPM: ECDH with the transfer key (loaded, used, flushed)") { benchmark, state in
        blackHole(try state.tpm.sharedSecret(state.key, withPoint: state.x, state.y))
    } setup: { () throws -> (tpm: TPM, key: TPMObject, x: [UInt8], y: [UInt8]) in
        let tpm = try startTPM()
        let point = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        return (tpm, try tpm.createTransferKey(), Array(point[1..<33]), Array(point[33...]))
    } teardown: { stopTPMs() }

    Benchmark(
        "Quote verification (OMS: parse, nonce, PCR digest, restricted key, ECDSA P-256)",
        configuration: .init(warmupIterations: 10, maxIterations: 20_000)
    ) { benchmark, state in
        blackHole(try AttestationVerifier.verifyQuote(state.quote, key: state.key, nonce: state.nonce, expected: state.values))
    } setup: { () throws -> (quote: SignedAttestation, key: TPMPublicArea, nonce: [UInt8], values: [Int: [UInt8]]) in
        let tpm = try startTPM()
        let nonce = SecureRandom.bytes(32)
        return (try tpm.quote(pcrs, qualifyingData: nonce), try tpm.attestationKey(), nonce, try tpm.readPCRs(pcrs.indices))
    } teardown: { stopTPMs() }

    Benchmark("P-256 ECDSA verify, swift-crypto (raw limit)", configuration: .init(warmupIterations: 10, maxIterations: 20_000)) { benchmark, state in
        blackHole(state.key.isValidSignature(state.signature, for: state.message))
    } setup: { () -> (key: P256.Signing.PublicKey, signature: P256.Signing.ECDSASignature, message: Data) in
        let key = P256.Signing.PrivateKey()
        let message = Data(SecureRandom.bytes(145))
        return (key.publicKey, try key.signature(for: message), message)
    }

    Benchmark(
        "Migration of a ~100 MB TCF between two nodes on loopback, swtpm attestation, end to end",
        configuration: .init(metrics: [.wallClock], timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(120), maxIterations: 6)
    ) { benchmark, pair in
        try await pair.move()
    } setup: {
        let pair = try await MigrationPair()
        pairs.withLock { $0.append(pair) }
        return pair
    } teardown: {
        let started = pairs.withLock { list in defer { list = [] }; return list }
        for pair in started {
            print("archive bytes moved each iteration: \(await pair.archiveBytes())")
            await pair.stop()
        }
    }

    Benchmark(
        "XChaCha20-Poly1305 seal and open of 100 MB in 1 MiB chunks (the transfer's raw crypto)",
        configuration: .init(metrics: [.wallClock], timeUnits: .milliseconds, warmupIterations: 1, maxIterations: 10)
    ) { benchmark, state in
        for start in stride(from: 0, to: state.data.count, by: MigrationCipher.chunkSize) {
            let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
            let sealed = try XChaChaPoly.seal(Array(state.data[start..<min(start + MigrationCipher.chunkSize, state.data.count)]), key: state.key, nonce: nonce, authenticating: [])
            blackHole(try XChaChaPoly.open(sealed, key: state.key, nonce: nonce, authenticating: []))
        }
    } setup: { () -> (data: [UInt8], key: SecureBytes) in
        (SecureRandom.bytes(100 << 20), SecureBytes.random(count: 32))
    }
}
