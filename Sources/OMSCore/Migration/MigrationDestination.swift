import OMSCrypto
import OMSProtocol

/// The destination's side of a migration (protocol-spec §18), pure: it takes the chunks in
/// order, opens each under the migration's key, and releases the archive only whole and with
/// the digest the source announced. The driver attests with the TPM, computes the key there,
/// imports the archive and signs the receipt.
public struct MigrationDestination: Sendable {
    public enum Phase: String, Sendable, Hashable {
        case attested, receiving, complete, failed
    }

    public let migration: MigrationID
    public let tcf: TCFID
    public let source: NodeID
    public let nonce: [UInt8]
    public let archiveBytes: UInt64
    public private(set) var phase: Phase = .attested
    public private(set) var archiveDigest: [UInt8] = []
    public private(set) var received: UInt32 = 0
    private var cipher: MigrationCipher?
    private var archive: [UInt8] = []
    /// Chunks that came ahead of their turn (requests race one another), at most `window`.
    private var ahead: [UInt32: [UInt8]] = [:]
    /// How far ahead of the next chunk one may come: the source's chunks in flight, and more.
    public static let window: UInt32 = 8

    /// Takes an offer of at most `maximumArchiveBytes`.
    public init(migration: MigrationID, tcf: TCFID, source: NodeID, nonce: [UInt8], archiveBytes: UInt64, maximumArchiveBytes: UInt64) throws(MigrationError) {
        guard nonce.count == 32 else { throw MigrationError(.malformed, "a nonce of \(nonce.count) bytes; 32 expected") }
        guard archiveBytes > 0, archiveBytes <= maximumArchiveBytes else {
            throw MigrationError(.tooLarge, "an archive of \(archiveBytes) bytes; this node takes 1 to \(maximumArchiveBytes)")
        }
        self.migration = migration
        self.tcf = tcf
        self.source = source
        self.nonce = nonce
        self.archiveBytes = archiveBytes
    }

    public var chunks: UInt32 { MigrationCipher.chunkCount(archiveBytes: archiveBytes) }

    /// Checks a begin message's fields before the TPM is asked for the key.
    public func checkBegin(ephemeralKey: [UInt8], archiveDigest: [UInt8], archiveBytes: UInt64, chunks: UInt32) throws(MigrationError) {
        guard phase == .attested else { throw MigrationError(.outOfOrder, "a begin while the migration is \(phase.rawValue)") }
        guard ephemeralKey.count == 65, ephemeralKey[0] == 4, archiveDigest.count == 32 else {
            throw MigrationError(.malformed, "a begin needs a 65-byte uncompressed P-256 point and a 32-byte digest")
        }
        guard archiveBytes == self.archiveBytes, chunks == self.chunks else {
            throw MigrationError(.outOfOrder, "a begin of \(archiveBytes) bytes in \(chunks) chunks; the offer was of \(self.archiveBytes)")
        }
    }

    public mutating func begin(cipher: MigrationCipher, archiveDigest: [UInt8]) throws(MigrationError) {
        guard phase == .attested else { throw MigrationError(.outOfOrder, "a begin while the migration is \(phase.rawValue)") }
        self.cipher = cipher
        self.archiveDigest = archiveDigest
        // No capacity reserved from the offer's word: the archive grows as chunks open.
        phase = .receiving
    }

    /// Chunk `index`: the next one opens and is kept, with any that came ahead of it; one a
    /// little ahead (within `window`) waits for its turn; one already held is acknowledged again
    /// (the source resent it); any other is refused. A chunk that does not open ends the
    /// migration. Returns how many are held in order.
    public mutating func chunk(_ sealed: [UInt8], index: UInt32) throws(MigrationError) -> UInt32 {
        guard phase == .receiving, cipher != nil else { throw MigrationError(.outOfOrder, "a chunk while the migration is \(phase.rawValue)") }
        if index < received { return received }
        guard index < chunks, index - received < Self.window else {
            throw MigrationError(.outOfOrder, "chunk \(index) where \(received) is next (of \(chunks))")
        }
        ahead[index] = sealed
        while let next = ahead.removeValue(forKey: received) {
            try take(next, index: received)
        }
        return received
    }

    private mutating func take(_ sealed: [UInt8], index: UInt32) throws(MigrationError) {
        do throws(MigrationError) {
            let plain = try cipher!.open(sealed, index: index)
            let expected = index + 1 == chunks ? Int(archiveBytes - UInt64(index) * UInt64(MigrationCipher.chunkSize)) : MigrationCipher.chunkSize
            guard plain.count == expected else { throw MigrationError(.badChunk, "chunk \(index) is \(plain.count) bytes; \(expected) expected") }
            archive += plain
        } catch {
            fail()
            throw error
        }
        received += 1
    }

    /// The whole archive, once every chunk is in and its digest is the one announced.
    public mutating func complete() throws(MigrationError) -> [UInt8] {
        guard phase == .receiving, received == chunks else {
            throw MigrationError(.outOfOrder, "a commit with \(received) of \(chunks) chunks received")
        }
        guard BLAKE2b.hash(archive, outputLength: 32) == archiveDigest else {
            phase = .failed
            archive = []
            throw MigrationError(.badChunk, "the archive's digest is not the one announced")
        }
        phase = .complete
        defer { archive = [] }
        return archive
    }

    public mutating func fail() {
        phase = .failed
        archive = []
        ahead = [:]
    }
}
