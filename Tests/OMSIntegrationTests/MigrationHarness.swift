import Foundation
import OMSCore
import OMSCrypto
@testable import OMSNode
import OMSProtocol
import OMSStore
import OMSTestKit
import OMSTrust

/// A node for migration tests: a real data directory, a real swtpm of its own (its identity
/// sealed by it, as `oms init --tpm` does) or none (software trust), a TCF host and the
/// migration driver, on loopback. `restarted()` is the same directory and TPM in a new process's
/// objects, as after a kill.
final class MigrationNode: @unchecked Sendable {
    let directory: DataDirectory
    let swtpm: SoftwareTPM?
    let tpm: TPM?
    let store: NodeStore
    let identity: Ed25519.PrivateKey
    let host: TCFHost
    let node: Node
    let migrations: Migrations
    private var task: Task<Void, any Error>?

    var id: NodeID { node.id }

    static func create(in root: URL, name: String, tpm withTPM: Bool, accept: Bool = true) throws -> MigrationNode {
        let directory = DataDirectory(root.appendingPathComponent(name).path)
        let swtpm = withTPM ? try SoftwareTPM() : nil
        let tpm = try swtpm.map { try TPM(tcti: $0.tcti) }
        let master = SecureBytes.random(count: 32)
        let sealed = try tpm.map { tpm in
            let object = try tpm.seal(master)
            return TPMSealedKey(tcti: swtpm!.tcti, publicArea: object.publicArea.bytes, privateBlob: object.privateBlob)
        }
        let (store, identity) = try NodeStore.initialize(
            directory: directory, network: NodeHarness.testNetwork, passphrase: nil, tpm: sealed.map { ($0, master) }, argon2: APINode.fastArgon2)
        return try MigrationNode(directory: directory, swtpm: swtpm, tpm: tpm, store: store, identity: identity, accept: accept)
    }

    private init(directory: DataDirectory, swtpm: SoftwareTPM?, tpm: TPM?, store: NodeStore, identity: Ed25519.PrivateKey, accept: Bool = true) throws {
        self.directory = directory
        self.swtpm = swtpm
        self.tpm = tpm
        self.store = store
        self.identity = identity
        let trust = try store.identityProtection().trust
        host = try TCFHost(store: store, nodeIdentity: identity, archiveParameters: APINode.fastArgon2)
        var configuration = NodeHarness.configuration(identity: identity)
        configuration.trust = trust
        NodeHarness.fastGossip(&configuration)
        node = Node(configuration: configuration, store: store, logger: NodeHarness.quietLogger)
        let node = node
        migrations = Migrations(
            node: node, host: host, identity: identity, trust: trust, tpm: tpm, acceptIncoming: accept, logger: NodeHarness.quietLogger,
            publish: { await node.publish($0) })
    }

    /// The same data directory and TPM, opened again: the identity unsealed by the TPM.
    func restarted() throws -> MigrationNode {
        let store = try NodeStore(directory: directory)
        let identity: Ed25519.PrivateKey
        switch try store.identityProtection() {
        case .tpm(let sealed):
            let master = try tpm!.unseal(TPMObject(publicArea: try TPMPublicArea(bytes: sealed.publicArea), privateBlob: sealed.privateBlob))
            identity = try store.unlockIdentity(.masterKey(master))
        default:
            identity = try store.unlockIdentity(.keyFile)
        }
        return try MigrationNode(directory: directory, swtpm: swtpm, tpm: tpm, store: store, identity: identity)
    }

    /// What a test puts in front of the migration driver: an answer of its own for a request
    /// (a hostile destination's), or nil to let the driver answer.
    typealias Intercept = @Sendable (_ frame: WireFrame, _ from: NodeID, _ migrations: Migrations) async -> WireFrame?

    /// Binds and runs the node, serving migration requests (through `intercept` first).
    func start(intercept: Intercept? = nil) async throws {
        let migrations = migrations
        await node.serveRequests { frame, peer in
            guard Migrations.handles(frame) else { return SessionInstance.errorFrame(.unknownFrame, "not served here") }
            if let intercept, let answer = await intercept(frame, peer, migrations) { return answer }
            return await migrations.handle(frame, from: peer)
        }
        try await node.bind()
        let node = node
        task = Task { try await node.run() }
    }

    /// Ends the node's run, as a kill would end its sessions.
    func stop() async {
        task?.cancel()
        _ = await task?.result
        task = nil
    }

    /// Stops the node and its TPM for good (the end of a test).
    func close() async {
        await stop()
        swtpm?.stop()
    }

    func connect(to other: MigrationNode) async throws {
        try await node.addPeer(await NodeHarness.address(other.node))
        try await NodeHarness.eventually("\(id.short) connected to \(other.id.short)") {
            let mine = await self.node.connectedPeers()
            let theirs = await other.node.connectedPeers()
            return mine.contains(other.id) && theirs.contains(self.id)
        }
    }

    /// A TCF with a TCC holding `records` step records, for moving.
    func tcfWithData(records: Int) throws -> (TCFRecord, TCCRecord) {
        let tcf = try host.createTCF(name: try Name("home"))
        let tcc = try host.createTCC(in: tcf.id, kind: .private, name: try Name("alice"))
        let (device, _) = try host.addDevice(to: tcc, name: try Name("watch"), streams: [.steps])
        var offset = 0
        while offset < records {
            let count = min(20_000, records - offset)
            let body = (offset..<offset + count).map { "{\"stream\":\"steps\",\"time\":\(1_795_687_200_000 + Int64($0) * 1000),\"count\":\($0 % 20000)}" }
                .joined(separator: "\n")
            _ = try host.ingest(Array(body.utf8), format: .ndjson, batch: "b-\(offset)", from: device)
            offset += count
        }
        return (tcf, tcc)
    }

    /// The policy that admits this node: its attestation key, and PCR 16 as it is now.
    func policy(pcrs: [Int] = [16]) throws -> MigrationPolicy {
        MigrationPolicy(attestationKeys: [try tpm!.attestationKey().name], pcrs: try tpm!.readPCRs(pcrs))
    }

    deinit { swtpm?.stop() }
}
