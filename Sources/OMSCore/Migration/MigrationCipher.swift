import OMSCrypto
import OMSProtocol

/// The archive in transit: cut in chunks of 1 MiB, each sealed with XChaCha20-Poly1305 under a
/// key only the source and the destination's TPM can compute (ECDH between the source's
/// ephemeral key and the TPM-resident transfer key). Each chunk's associated data names the
/// migration, its index and the count, so a chunk changed, moved, dropped or replayed from
/// another attempt does not open.
public struct MigrationCipher: Sendable {
    public static let chunkSize = 1 << 20
    static let keyDomain = Array("oms/v1/migration-key".utf8) + [0]
    static let chunkDomain = Array("oms/v1/migration-chunk".utf8) + [0]

    let key: SecureBytes
    public let migration: MigrationID
    public let chunks: UInt32

    /// The chunk key: BLAKE2b-256 keyed by the ECDH secret (the shared point's x) over the
    /// domain, the migration, the ephemeral point and the transfer key's name.
    public init(sharedSecret: SecureBytes, migration: MigrationID, ephemeralKey: [UInt8], transferKey: [UInt8], chunks: UInt32) {
        key = SecureBytes(
            copying: BLAKE2b.hash(
                Self.keyDomain + migration.bytes + ephemeralKey + MigrationAttestation.objectName(transferKey), outputLength: 32,
                key: sharedSecret.exposedBytes))
        self.migration = migration
        self.chunks = chunks
    }

    public static func chunkCount(archiveBytes: UInt64) -> UInt32 {
        UInt32(clamping: (archiveBytes + UInt64(chunkSize) - 1) / UInt64(chunkSize))
    }

    public func seal(_ chunk: [UInt8], index: UInt32) -> [UInt8] {
        try! XChaChaPoly.seal(chunk, key: key, nonce: nonce(index), authenticating: associatedData(index))
    }

    public func open(_ sealed: [UInt8], index: UInt32) throws(MigrationError) -> [UInt8] {
        guard index < chunks, sealed.count <= Self.chunkSize + XChaChaPoly.tagLength,
            let chunk = try? XChaChaPoly.open(sealed, key: key, nonce: nonce(index), authenticating: associatedData(index))
        else { throw MigrationError(.badChunk, "chunk \(index) of \(chunks) does not open: changed on the way, or not of this migration") }
        return chunk
    }

    private func nonce(_ index: UInt32) -> [UInt8] {
        var nonce = migration.bytes
        nonce.appendBigEndian(index)
        return nonce + [0, 0, 0, 0]
    }

    private func associatedData(_ index: UInt32) -> [UInt8] {
        var aad = Self.chunkDomain + migration.bytes
        aad.appendBigEndian(index)
        aad.appendBigEndian(chunks)
        return aad
    }
}
