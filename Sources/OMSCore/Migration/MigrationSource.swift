import OMSCrypto
import OMSProtocol

/// The source's side of a migration (protocol-spec §18), pure: which step comes next and what
/// each answer of the destination must be for it to go on. The driver (OMSNode) does the I/O,
/// the TPM-structure checks (OMSTrust) and the durable writes; time is an input.
///
/// offered → (attestation checked) transferring → (every chunk acknowledged) committing →
/// (receipt checked, stored) handedOver → (location record published) located → (keys, then
/// data, erased) erased. Any refusal before `handedOver` ends in `failed` with the TCF still
/// served here; from `handedOver` on, the hand-over only goes forward, across restarts.
public struct MigrationSource: Sendable {
    public enum Phase: String, Sendable, Hashable, Codable {
        case offered, transferring, committing, handedOver, located, erased, failed
    }

    public let migration: MigrationID
    public let tcf: TCFID
    public let source: NodeID
    public let destination: NodeID
    public let nonce: [UInt8]
    public let policy: MigrationPolicy
    public let archiveBytes: UInt64
    public let archiveDigest: [UInt8]
    public var chunks: UInt32 { MigrationCipher.chunkCount(archiveBytes: archiveBytes) }
    public private(set) var phase: Phase = .offered
    /// The transfer key's public area, once its attestation is checked.
    public private(set) var transferKey: [UInt8]?
    public private(set) var acknowledged: UInt32 = 0
    public private(set) var receipt: MigrationReceipt?
    public private(set) var failure: String?

    public init(
        migration: MigrationID = .random(), tcf: TCFID, source: NodeID, destination: NodeID, nonce: [UInt8] = SecureRandom.bytes(32),
        policy: MigrationPolicy, archive: [UInt8]
    ) throws(MigrationError) {
        try policy.check()
        guard source != destination else { throw MigrationError(.badPolicy, "the TCF is on \(destination.short) already") }
        self.migration = migration
        self.tcf = tcf
        self.source = source
        self.destination = destination
        self.nonce = nonce
        self.policy = policy
        archiveBytes = UInt64(archive.count)
        archiveDigest = BLAKE2b.hash(archive, outputLength: 32)
    }

    /// Checks the destination's answer to the offer: signed by the destination node, for this
    /// migration, with the trust and an attestation key the owner's policy allows; then
    /// `verifyTPM` checks the quote (over the qualifying data, of the policy's PCRs) and the
    /// transfer key's certification. Returns the transfer key to encrypt to.
    public mutating func attested(
        _ attestation: MigrationAttestation,
        verifyTPM: (_ attestation: MigrationAttestation, _ qualifyingData: [UInt8], _ policy: MigrationPolicy) throws(MigrationError) -> Void
    ) throws(MigrationError) -> [UInt8] {
        try expect(.offered, "an attestation")
        do throws(MigrationError) {
            guard attestation.migration == migration else {
                throw MigrationError(.outOfOrder, "an attestation for migration \(attestation.migration), not \(migration)")
            }
            try attestation.verifySignature(by: destination, nonce: nonce)
            guard attestation.trust == policy.trust else {
                throw MigrationError(.untrustedNode, "\(destination.short) states \(attestation.trust) trust; the policy requires \(policy.trust)")
            }
            let name = MigrationAttestation.objectName(attestation.attestationKey)
            guard policy.attestationKeys.contains(name) else {
                throw MigrationError(.unknownAttestationKey, "\(destination.short)'s attestation key \(name.hex) is not one the policy allows")
            }
            try verifyTPM(
                attestation, MigrationAttestation.qualifyingData(migration: migration, nonce: nonce, transferKey: attestation.transferKey), policy)
        } catch {
            fail(error)
            throw error
        }
        transferKey = attestation.transferKey
        phase = .transferring
        return attestation.transferKey
    }

    /// The destination holds `received` chunks in order.
    public mutating func acknowledged(_ received: UInt32) throws(MigrationError) {
        try expect(.transferring, "an acknowledgement")
        guard received <= chunks, received >= acknowledged else {
            let error = MigrationError(.outOfOrder, "acknowledged \(received) chunks after \(acknowledged), of \(chunks)")
            fail(error)
            throw error
        }
        acknowledged = received
        if received == chunks { phase = .committing }
    }

    /// Checks the receipt: signed by the destination, for this migration, TCF and archive, and
    /// only while one is awaited. The driver stores it durably before anything else.
    public mutating func receipted(_ receipt: MigrationReceipt) throws(MigrationError) {
        guard phase == .committing else {
            throw MigrationError(.replayedReceipt, "a receipt while the migration is \(phase.rawValue): none is awaited")
        }
        guard receipt.migration == migration, receipt.tcf == tcf, receipt.archiveDigest == archiveDigest, receipt.source == source,
            receipt.destination == destination
        else { throw MigrationError(.replayedReceipt, "a receipt for another migration, TCF or archive") }
        try receipt.verify()
        self.receipt = receipt
        phase = .handedOver
    }

    public mutating func located() {
        if phase == .handedOver { phase = .located }
    }

    public mutating func erased() {
        if phase == .located { phase = .erased }
    }

    /// Ends the attempt before the hand-over (the destination refused, died, or timed out).
    public mutating func fail(_ error: MigrationError) {
        guard [.offered, .transferring, .committing].contains(phase) else { return }
        phase = .failed
        failure = error.description
    }

    /// A migration the driver resumes from its stored row after a restart: awaiting the
    /// receipt of a commit it sent (`committing`), or past it (`handedOver`, `located`).
    public static func resumed(
        migration: MigrationID, tcf: TCFID, source: NodeID, destination: NodeID, archiveDigest: [UInt8], receipt: MigrationReceipt?, phase: Phase
    ) -> MigrationSource {
        var resumed = MigrationSource(migration: migration, tcf: tcf, source: source, destination: destination, archiveDigest: archiveDigest)
        resumed.receipt = receipt
        resumed.phase = phase
        return resumed
    }

    private init(migration: MigrationID, tcf: TCFID, source: NodeID, destination: NodeID, archiveDigest: [UInt8]) {
        self.migration = migration
        self.tcf = tcf
        self.source = source
        self.destination = destination
        nonce = []
        policy = MigrationPolicy(attestationKeys: [])
        archiveBytes = 0
        self.archiveDigest = archiveDigest
    }

    private func expect(_ wanted: Phase, _ what: String) throws(MigrationError) {
        guard phase == wanted else { throw MigrationError(.outOfOrder, "\(what) while the migration is \(phase.rawValue)") }
    }
}
