import Foundation
import Logging
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import OMSTrust

/// How a migration this node sends is going, for `oms tcf migrate`'s progress.
public struct MigrationProgress: Codable, Sendable, Hashable {
    public var migration: MigrationID
    public var tcf: TCFID
    public var destination: NodeID
    public var phase: MigrationSource.Phase
    public var chunks: UInt32
    public var chunksAcknowledged: UInt32
    public var archiveBytes: UInt64
    public var failure: String?
    public var startedAt: Date
    public var updatedAt: Date
}

/// A node's TPM identity as an owner's migration policy names it.
public struct NodeAttestation: Codable, Sendable, Hashable {
    public var node: NodeID
    public var trust: NodeTrust
    /// The attestation key's TPM name, hex (68 digits): what `--allow-ak` takes.
    public var attestationKey: String
    /// Its public area (`TPMT_PUBLIC`), hex.
    public var attestationKeyPublic: String
    /// SHA-256 PCR values by index, hex.
    public var pcrs: [String: String]
}

/// The migration driver (protocol-spec §18): runs the pure state machines of `OMSCore/Migration`
/// over the node's sessions, with the TPM for the destination's attestation and key, the store
/// for what must survive a restart, and the host for the TCF itself.
///
/// As the source it freezes the TCF, offers it, checks the attestation against the owner's
/// policy, streams the archive encrypted to the transfer key, stores the receipt durably, then
/// signs and publishes the location record and erases its copy; any failure before the
/// receipt runs the TCF here again. As the destination it attests with its TPM, takes the
/// chunks in order, imports the TCF re-sealed under its own keys, and signs the receipt.
public actor Migrations {
    /// The largest archive this node takes: it is held in memory until it is whole.
    public static let maximumArchiveBytes: UInt64 = 1 << 30
    /// An incoming migration with nothing from its source for this long is dropped (the source
    /// gave up, or died).
    static let incomingIdle: Duration = .seconds(60)
    /// Progress entries kept for `status` (the oldest finished ones go first).
    static let maximumProgress = 64
    /// Chunks in flight at once (below the node's eight requests in flight per peer).
    static let window = 4
    /// Incoming migrations at once.
    static let maximumIncoming = 2

    struct Incoming {
        var machine: MigrationDestination
        let transferKey: TPMObject
        let transferPublic: [UInt8]
        var lastHeard: ContinuousClock.Instant
    }

    let node: Node
    let host: TCFHost
    let identity: Ed25519.PrivateKey
    let trust: NodeTrust
    let tpm: TPM?
    /// Whether this node takes TCFs in at all: its owner's choice (`--accept-migrations`).
    let acceptIncoming: Bool
    let logger: Logger
    /// Publishes a location record to the network (gossip).
    let publish: @Sendable (TCFLocation) async -> Void
    private var incoming: [MigrationID: Incoming] = [:]
    private var progress: [MigrationID: MigrationProgress] = [:]
    /// Tests only: end the run (as a killed node would) once this phase is durable.
    var stopAfter: MigrationSource.Phase?
    /// How long a commit's answer is awaited (the destination imports the whole TCF first), and
    /// how often an unanswered one is asked again; tests shorten both.
    var commitTimeout: Duration = .seconds(120)
    var commitRetryInterval: Duration = .seconds(5)

    public init(
        node: Node, host: TCFHost, identity: Ed25519.PrivateKey, trust: NodeTrust, tpm: TPM?, acceptIncoming: Bool, logger: Logger,
        publish: @escaping @Sendable (TCFLocation) async -> Void
    ) {
        self.node = node
        self.host = host
        self.identity = identity
        self.trust = trust
        self.tpm = tpm
        self.acceptIncoming = acceptIncoming
        self.logger = logger
        self.publish = publish
    }

    var myself: NodeID { NodeID(publicKey: identity.publicKey) }

    public func setStopAfter(_ phase: MigrationSource.Phase?) { stopAfter = phase }

    func setCommitTiming(timeout: Duration, retry: Duration) {
        commitTimeout = timeout
        commitRetryInterval = retry
    }

    public func status(_ migration: MigrationID) -> MigrationProgress? { progress[migration] }

    /// Every migration this node sent since it started, oldest first.
    public func statuses() -> [MigrationProgress] { progress.values.sorted { $0.startedAt < $1.startedAt } }

    // MARK: Source

    /// Checks what can be checked at once (the policy, the TCF, the session) and runs the
    /// migration in the background; `status` follows it.
    public func start(tcf: TCFID, to destination: NodeID, policy: MigrationPolicy) async throws -> MigrationID {
        try policy.check()
        let record = try host.tcf(tcf.description)
        guard record.state == .running else { throw HostingError(.stopped, "TCF \(record.name) is \(record.state): only a running TCF migrates") }
        guard let owner = try? Ed25519.PublicKey(rawRepresentation: Array(record.ownerKey)), tcf.isNamed(by: owner) else {
            throw MigrationError(.badPolicy, "TCF \(record.name) predates ids named by their owner key: its location could not be signed (move it with oms tcf archive and restore)")
        }
        guard destination != myself else { throw MigrationError(.badPolicy, "the TCF is on this node already") }
        guard await node.connectedPeers().contains(destination) else {
            throw RequestError(peer: destination, code: nil, message: "no session with it: add it with 'oms peer add' and wait until it is connected")
        }
        let migration = MigrationID.random()
        let now = Date()
        progress[migration] = MigrationProgress(
            migration: migration, tcf: tcf, destination: destination, phase: .offered, chunks: 0, chunksAcknowledged: 0, archiveBytes: 0,
            startedAt: now, updatedAt: now)
        Task {
            do {
                try await self.migrate(tcf: tcf, to: destination, policy: policy, migration: migration)
            } catch {
                self.ended(migration, with: error)
            }
        }
        return migration
    }

    /// Records how a run that threw ended: failed before the commit; after it, still under way
    /// (the hand-over goes on at the next start, or the commit is asked again).
    private func ended(_ migration: MigrationID, with error: any Error) {
        guard var entry = progress[migration] else { return }
        if [.offered, .transferring].contains(entry.phase) { entry.phase = .failed }
        entry.failure = entry.failure ?? "\(error)"
        entry.updatedAt = Date()
        progress[migration] = entry
    }

    /// Runs one migration to its end: `erased` when handed over, or a thrown refusal with the
    /// TCF running here again.
    @discardableResult
    public func migrate(tcf: TCFID, to destination: NodeID, policy: MigrationPolicy, migration: MigrationID = .random()) async throws -> MigrationSource.Phase {
        let (archive, sequence) = try host.freezeForMigration(tcf)
        var machine: MigrationSource
        do {
            machine = try MigrationSource(migration: migration, tcf: tcf, source: myself, destination: destination, policy: policy, archive: archive)
            try host.store.insertMigration(
                migration, tcf: tcf, destination: destination, locationSequence: sequence, archiveDigest: machine.archiveDigest, at: Date())
        } catch {
            try? host.unfreeze(tcf)
            throw error
        }
        track(machine)
        logger.info("migration offered", metadata: ["migration": "\(migration)", "tcf/id": "\(tcf.short)", "to": "\(destination.short)", "bytes": "\(archive.count)"])
        do {
            try await transfer(&machine, archive: archive)
        } catch let error as MigrationError where error.code == .unknownOutcome {
            // The destination may hold the TCF: running it here too could leave it on two nodes.
            try? host.store.updateMigration(migration, phase: .committing, failure: error.description, at: Date())
            track(machine, failure: error.description)
            logger.error("migration commit unanswered; the TCF stays frozen until the destination answers", metadata: ["migration": "\(migration)"])
            retryCommit(MigrationSource.resumed(
                migration: migration, tcf: tcf, source: myself, destination: destination, archiveDigest: machine.archiveDigest, receipt: nil,
                phase: .committing))
            throw error
        } catch {
            let refusal = (error as? MigrationError) ?? MigrationError(.destination, "\(error)")
            machine.fail(refusal)
            track(machine)
            try? host.store.updateMigration(migration, phase: .failed, failure: "\(error)", at: Date())
            try? host.unfreeze(tcf)
            logger.warning("migration failed; the TCF runs here again", metadata: ["migration": "\(migration)", "error": "\(error)"])
            throw error
        }
        if stopAfter == .handedOver { throw CancellationError() }
        return try await handOver(&machine)
    }

    /// Offer, attestation, begin, chunks and commit: up to the receipt, stored.
    private func transfer(_ machine: inout MigrationSource, archive: [UInt8]) async throws {
        let destination = machine.destination
        let answer = try await node.request(MigrationWire.offer(machine), to: destination)
        guard case .migrationAttestation(let wire) = answer.body else {
            throw MigrationError(.outOfOrder, "\(destination.short) answered the offer with something else than an attestation")
        }
        let transferKey = try machine.attested(try MigrationWire.attestation(of: wire), verifyTPM: MigrationAttestor.verify)
        track(machine)
        try host.store.updateMigration(machine.migration, phase: .transferring, at: Date())

        let (point, secret) = try MigrationAttestor.agree(with: transferKey)
        let cipher = MigrationCipher(
            sharedSecret: secret, migration: machine.migration, ephemeralKey: point, transferKey: transferKey, chunks: machine.chunks)
        let begun = try await node.request(
            MigrationWire.begin(
                machine.migration, ephemeralKey: point, archiveDigest: machine.archiveDigest, archiveBytes: machine.archiveBytes, chunks: machine.chunks),
            to: destination)
        guard case .migrationAck = begun.body else { throw MigrationError(.outOfOrder, "\(destination.short) did not acknowledge the begin") }

        let migration = machine.migration
        let chunks = machine.chunks
        var next: UInt32 = 0
        var acknowledged: UInt32 = 0
        try await withThrowingTaskGroup(of: UInt32.self) { group in
            func send(_ index: UInt32) {
                let start = Int(index) * MigrationCipher.chunkSize
                let sealed = cipher.seal(Array(archive[start..<min(start + MigrationCipher.chunkSize, archive.count)]), index: index)
                let frame = MigrationWire.chunk(migration, index: index, sealed: sealed)
                group.addTask { [node] in
                    let answer = try await node.request(frame, to: destination, timeout: .seconds(30))
                    guard case .migrationAck(let ack) = answer.body else { throw MigrationError(.outOfOrder, "chunk \(index) was not acknowledged") }
                    return ack.received
                }
            }
            while next < chunks, next < UInt32(Self.window) {
                send(next)
                next += 1
            }
            while let received = try await group.next() {
                acknowledged = max(acknowledged, received)
                if next < chunks {
                    send(next)
                    next += 1
                }
                if var entry = progress[migration] {
                    entry.chunksAcknowledged = acknowledged
                    entry.updatedAt = Date()
                    progress[migration] = entry
                }
            }
        }
        try machine.acknowledged(acknowledged)
        // Durable before the commit goes out: from here a restart asks for the receipt rather
        // than run the TCF here again.
        try host.store.updateMigration(migration, phase: .committing, at: Date())
        track(machine)
        try await commit(&machine)
    }

    /// Sends the commit and takes the receipt. The destination imports the whole TCF before it
    /// answers, so it gets time; an unanswered commit is asked again (the destination answers
    /// with the receipt it stored), and one still unanswered is `unknownOutcome`. A refusal means
    /// the destination did not import: the caller runs the TCF here again.
    private func commit(_ machine: inout MigrationSource) async throws {
        let migration = machine.migration
        let destination = machine.destination
        var receiptFrame: WireFrame?
        for _ in 0..<3 where receiptFrame == nil {
            do {
                receiptFrame = try await node.request(MigrationWire.commit(migration), to: destination, timeout: commitTimeout)
            } catch let error as RequestError where error.code == nil {
                logger.warning("migration commit unanswered; asking again", metadata: ["migration": "\(migration)", "error": "\(error)"])
            }
        }
        guard let receiptFrame else {
            throw MigrationError(.unknownOutcome, "\(destination.short) did not answer the commit: it may hold the TCF; this node keeps it frozen and asks again")
        }
        guard case .migrationReceipt(let wire) = receiptFrame.body else {
            throw MigrationError(.outOfOrder, "\(destination.short) answered the commit with something else than a receipt")
        }
        try machine.receipted(try MigrationWire.receipt(of: wire))
        try host.store.updateMigration(migration, phase: .handedOver, receipt: try receiptFrame.serializedBytes(), at: Date())
        track(machine)
        logger.info("migration handed over", metadata: ["migration": "\(migration)", "to": "\(destination.short)"])
    }

    /// Asks the destination for the receipt of a commit whose answer was lost, until it answers:
    /// with the receipt (the hand-over goes on) or a refusal (it never imported: the TCF runs
    /// here again).
    private func retryCommit(_ resumed: MigrationSource) {
        Task {
            var machine = resumed
            while !Task.isCancelled {
                try? await Task.sleep(for: commitRetryInterval)
                guard await node.connectedPeers().contains(machine.destination) else { continue }
                do {
                    try await commit(&machine)
                    _ = try await handOver(&machine)
                    track(machine, failure: nil)
                    return
                } catch let error as MigrationError where error.code == .unknownOutcome {
                    continue
                } catch {
                    if machine.phase == .committing {
                        try? host.store.updateMigration(machine.migration, phase: .failed, failure: "\(error)", at: Date())
                        try? host.unfreeze(machine.tcf)
                        machine.fail((error as? MigrationError) ?? MigrationError(.destination, "\(error)"))
                        track(machine)
                        logger.warning("the destination never took the TCF; it runs here again", metadata: ["migration": "\(machine.migration)"])
                    }
                    return
                }
            }
        }
    }

    /// After the receipt: the location record, then the erasure. Runs again from the stored
    /// phase after a restart.
    private func handOver(_ machine: inout MigrationSource) async throws -> MigrationSource.Phase {
        let migration = machine.migration
        if machine.phase == .handedOver {
            // The number the archive carried for this move, as the migration row keeps it.
            guard let record = try host.store.migration(migration) else { throw MigrationError(.outOfOrder, "migration \(migration) has no row") }
            let location = try TCFLocation.sign(
                tcf: machine.tcf, node: machine.destination, sequence: record.locationSequence,
                atMs: UInt64(Date().timeIntervalSince1970 * 1000),
                migration: migration, owner: try host.ownerKey(of: machine.tcf))
            try host.store.keepLocation(location)
            try host.store.updateMigration(migration, phase: .located, location: location.envelope.bytes, at: Date())
            machine.located()
            track(machine)
            await publish(location)
            if stopAfter == .located { throw CancellationError() }
        }
        if machine.phase == .located {
            if try !host.eraseMigrated(machine.tcf) {
                logger.warning("erased, but the WAL was busy: the old pages leave it at the next checkpoint", metadata: ["migration": "\(migration)"])
            }
            try host.store.updateMigration(migration, phase: .erased, at: Date())
            machine.erased()
            track(machine)
            logger.info("migrated TCF erased here", metadata: ["migration": "\(migration)", "tcf/id": "\(machine.tcf.short)"])
        }
        return machine.phase
    }

    /// At start: finishes every hand-over a stop interrupted (its receipt is in), asks again for
    /// the receipt of a commit sent before the stop, and runs again every TCF whose migration
    /// stopped before its commit went out.
    public func resume() async {
        guard let records = try? host.store.migrations() else { return }
        for record in records {
            switch record.phase {
            case .handedOver, .located:
                guard let bytes = record.receipt, let frame = try? WireFrame(serializedBytes: bytes), case .migrationReceipt(let wire) = frame.body,
                    let receipt = try? MigrationWire.receipt(of: wire)
                else {
                    logger.error("a handed-over migration without a readable receipt", metadata: ["migration": "\(record.id)"])
                    continue
                }
                var machine = MigrationSource.resumed(
                    migration: record.id, tcf: record.tcf, source: myself, destination: record.destination, archiveDigest: record.archiveDigest,
                    receipt: receipt, phase: record.phase)
                do {
                    _ = try await handOver(&machine)
                    logger.info("migration finished after a restart", metadata: ["migration": "\(record.id)"])
                } catch {
                    logger.error("migration hand-over failed after a restart", metadata: ["migration": "\(record.id)", "error": "\(error)"])
                }
            case .committing:
                logger.warning("a migration's commit went out before the stop: asking the destination for its receipt", metadata: ["migration": "\(record.id)"])
                retryCommit(MigrationSource.resumed(
                    migration: record.id, tcf: record.tcf, source: myself, destination: record.destination, archiveDigest: record.archiveDigest,
                    receipt: nil, phase: .committing))
            case .offered, .transferring:
                try? host.store.updateMigration(record.id, phase: .failed, failure: "the node stopped before the commit", at: Date())
                try? host.unfreeze(record.tcf)
            case .erased, .failed:
                continue
            }
        }
    }

    private func track(_ machine: MigrationSource, failure: String? = nil) {
        let now = Date()
        if progress[machine.migration] == nil, progress.count >= Self.maximumProgress,
            let oldest = progress.values.filter({ [.erased, .failed].contains($0.phase) }).min(by: { $0.updatedAt < $1.updatedAt })
        {
            progress[oldest.migration] = nil
        }
        var entry =
            progress[machine.migration]
            ?? MigrationProgress(
                migration: machine.migration, tcf: machine.tcf, destination: machine.destination, phase: machine.phase, chunks: machine.chunks,
                chunksAcknowledged: 0, archiveBytes: machine.archiveBytes, startedAt: now, updatedAt: now)
        entry.phase = machine.phase
        entry.chunks = machine.chunks
        entry.archiveBytes = max(entry.archiveBytes, machine.archiveBytes)
        entry.chunksAcknowledged = max(entry.chunksAcknowledged, machine.acknowledged)
        entry.failure = failure ?? machine.failure
        entry.updatedAt = now
        progress[machine.migration] = entry
    }

    /// What this node's TPM says of it, for an owner to put in a migration policy: the
    /// attestation key's name and the values of `pcrs`.
    public func attestation(pcrs: [Int]) throws -> NodeAttestation {
        guard let tpm else {
            throw MigrationError(.untrustedNode, "this node has no TPM ('\(trust.name)' trust): nothing can migrate to it")
        }
        let key = try tpm.attestationKey()
        let values = pcrs.isEmpty ? [:] : try tpm.readPCRs(pcrs)
        return NodeAttestation(
            node: myself, trust: trust, attestationKey: key.name.hex, attestationKeyPublic: key.bytes.hex,
            pcrs: Dictionary(uniqueKeysWithValues: values.map { (String($0.key), $0.value.hex) }))
    }

    // MARK: Destination

    /// Whether `frame` is a migration request this actor answers.
    public nonisolated static func handles(_ frame: WireFrame) -> Bool {
        switch frame.body {
        case .migrationOffer, .migrationBegin, .migrationChunk, .migrationCommit: true
        default: false
        }
    }

    /// Answers a migration request from `peer`; a refusal is an Error frame that ends the
    /// migration on both sides.
    public func handle(_ frame: WireFrame, from peer: NodeID) async -> WireFrame {
        do {
            switch frame.body {
            case .migrationOffer(let offer): return try offered(offer, from: peer)
            case .migrationBegin(let begin): return try begun(begin, from: peer)
            case .migrationChunk(let chunk): return try received(chunk, from: peer)
            case .migrationCommit(let commit): return try committed(commit, from: peer)
            default: return SessionInstance.errorFrame(.unknownFrame, "not a migration request")
            }
        } catch {
            // The attempt ends, unless the refusal was only of this frame's place (a chunk far
            // ahead) or the frame was not its source's.
            if let migration = Self.migration(of: frame), incoming[migration]?.machine.source == peer,
                (error as? MigrationError)?.code != .outOfOrder || incoming[migration]?.machine.phase == .failed
            {
                incoming[migration] = nil
            }
            logger.warning("migration refused", metadata: ["from": "\(peer.short)", "error": "\(error)"])
            return SessionInstance.errorFrame(.migrationRefused, "\(error)")
        }
    }

    static func migration(of frame: WireFrame) -> MigrationID? {
        let bytes: Data? =
            switch frame.body {
            case .migrationOffer(let m): m.migration
            case .migrationBegin(let m): m.migration
            case .migrationChunk(let m): m.migration
            case .migrationCommit(let m): m.migration
            default: nil
            }
        return bytes.flatMap { try? MigrationID(bytes: Array($0)) }
    }

    private func offered(_ wire: WireMigrationOffer, from peer: NodeID) throws -> WireFrame {
        guard acceptIncoming else {
            throw MigrationError(.notAccepted, "this node takes no migrations: its owner starts it with --accept-migrations to take TCFs in")
        }
        let now = ContinuousClock.now
        incoming = incoming.filter { now - $0.value.lastHeard < Self.incomingIdle }
        guard let tpm else {
            throw MigrationError(.untrustedNode, "this node has no TPM ('\(trust.name)' trust): it cannot attest where its key lives")
        }
        let offer = try MigrationWire.offer(of: wire)
        guard incoming[offer.migration] == nil, try host.store.givenReceipt(offer.migration) == nil else {
            throw MigrationError(.outOfOrder, "migration \(offer.migration) is already under way")
        }
        guard incoming.count < Self.maximumIncoming else { throw MigrationError(.tooLarge, "\(incoming.count) migrations are coming in already") }
        guard try host.store.tcf(offer.tcf) == nil else { throw HostingError(.duplicate, "TCF \(offer.tcf.short) is on this node already") }
        let machine = try MigrationDestination(
            migration: offer.migration, tcf: offer.tcf, source: peer, nonce: offer.nonce, archiveBytes: offer.archiveBytes,
            maximumArchiveBytes: Self.maximumArchiveBytes)
        let (attestation, transferKey) = try MigrationAttestor.attest(tpm: tpm, migration: offer.migration, nonce: offer.nonce, pcrs: offer.pcrs, node: identity, trust: trust)
        incoming[offer.migration] = Incoming(machine: machine, transferKey: transferKey, transferPublic: attestation.transferKey, lastHeard: now)
        logger.info("migration offered to this node; attested", metadata: ["migration": "\(offer.migration)", "from": "\(peer.short)"])
        return MigrationWire.attestation(attestation)
    }

    private func entry(_ bytes: Data, from peer: NodeID) throws -> (MigrationID, Incoming) {
        let migration = try MigrationID(bytes: Array(bytes))
        guard var entry = incoming[migration], entry.machine.source == peer else {
            throw MigrationError(.outOfOrder, "no migration \(migration) from \(peer.short) is under way here")
        }
        entry.lastHeard = .now
        return (migration, entry)
    }

    private func begun(_ wire: WireMigrationBegin, from peer: NodeID) throws -> WireFrame {
        var (migration, entry) = try entry(wire.migration, from: peer)
        let point = Array(wire.ephemeralKey)
        try entry.machine.checkBegin(ephemeralKey: point, archiveDigest: Array(wire.archiveDigest), archiveBytes: wire.archiveBytes, chunks: wire.chunks)
        guard let tpm else { throw MigrationError(.untrustedNode, "this node has no TPM") }
        let secret = try tpm.sharedSecret(entry.transferKey, withPoint: Array(point[1..<33]), Array(point[33...]))
        try entry.machine.begin(
            cipher: MigrationCipher(sharedSecret: secret, migration: migration, ephemeralKey: point, transferKey: entry.transferPublic, chunks: wire.chunks),
            archiveDigest: Array(wire.archiveDigest))
        incoming[migration] = entry
        return MigrationWire.ack(migration, received: 0)
    }

    private func received(_ wire: WireMigrationChunk, from peer: NodeID) throws -> WireFrame {
        var (migration, entry) = try entry(wire.migration, from: peer)
        let received = try entry.machine.chunk(Array(wire.sealed), index: wire.index)
        incoming[migration] = entry
        return MigrationWire.ack(migration, received: received)
    }

    private func committed(_ wire: WireMigrationCommit, from peer: NodeID) throws -> WireFrame {
        // A commit asked again (the first answer was lost, or this node restarted since): the
        // receipt stored with the import.
        if let migration = try? MigrationID(bytes: Array(wire.migration)), let given = try host.store.givenReceipt(migration) {
            return try WireFrame(serializedBytes: given)
        }
        var (migration, entry) = try entry(wire.migration, from: peer)
        let archive = try entry.machine.complete()
        incoming[migration] = nil
        var receipt = MigrationReceipt(
            migration: migration, tcf: entry.machine.tcf, archiveDigest: entry.machine.archiveDigest, source: peer, destination: myself,
            trust: trust, atMs: UInt64(Date().timeIntervalSince1970 * 1000))
        receipt.sign(with: identity)
        let frame = MigrationWire.receipt(receipt)
        let record = try host.importMigrated(archive, expected: entry.machine.tcf, receipt: (migration, try frame.serializedBytes()))
        logger.info("migrated TCF imported and re-sealed here", metadata: ["migration": "\(migration)", "tcf/id": "\(record.id.short)"])
        return frame
    }
}
