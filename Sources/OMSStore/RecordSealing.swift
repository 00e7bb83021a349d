import OMSCore
import OMSCrypto
import OMSProtocol

/// How records rest on disk: each TCC has a random 32-byte data key, sealed under its TCF's
/// key (which the node key wraps), so the data key travels with the TCF in an archive or a
/// migration while a copied database alone opens nothing. Record blocks are sealed under the
/// data key with XChaCha20-Poly1305; the associated data binds each ciphertext to its TCC,
/// stream, time range and count, so a block moved to another row or TCC, or its index
/// columns edited, does not open.
public enum RecordSealing {
    static let dataKeyDomain = Array("oms/v1/tcc-data-key".utf8) + [0]
    static let blockDomain = Array("oms/v1/record-block".utf8) + [0]

    public static func newDataKey() -> SecureBytes { SecureBytes.random(count: XChaChaPoly.keyLength) }

    public static func sealDataKey(_ dataKey: SecureBytes, tcc: TCCID, tcf: TCFID, under tcfKey: SecureBytes) -> [UInt8] {
        let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
        return nonce + (try! XChaChaPoly.seal(dataKey.exposedBytes, key: tcfKey, nonce: nonce, authenticating: dataKeyDomain + tcf.bytes + tcc.bytes))
    }

    public static func openDataKey(_ sealed: [UInt8], tcc: TCCID, tcf: TCFID, under tcfKey: SecureBytes) throws -> SecureBytes {
        guard sealed.count == XChaChaPoly.nonceLength + XChaChaPoly.keyLength + XChaChaPoly.tagLength,
            let key = try? XChaChaPoly.open(
                Array(sealed[XChaChaPoly.nonceLength...]), key: tcfKey, nonce: Array(sealed[..<XChaChaPoly.nonceLength]),
                authenticating: dataKeyDomain + tcf.bytes + tcc.bytes)
        else {
            throw StoreError(.corrupt, "the data key of \(tcc.short) does not open with its TCF's key (was the row changed?)")
        }
        return SecureBytes(copying: key)
    }

    /// Seals a block's plaintext (`RecordBlock.encode`).
    public static func seal(
        _ plaintext: [UInt8], tcc: TCCID, stream: StreamName, start: Int64, end: Int64, count: Int, under dataKey: SecureBytes
    ) -> SealedBlock {
        let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
        let aad = associatedData(tcc: tcc, stream: stream, start: start, end: end, count: count)
        let sealed = nonce + (try! XChaChaPoly.seal(plaintext, key: dataKey, nonce: nonce, authenticating: aad))
        return SealedBlock(stream: stream, start: start, end: end, count: count, sealed: sealed)
    }

    public static func open(_ block: SealedBlock, tcc: TCCID, under dataKey: SecureBytes) throws -> [UInt8] {
        let aad = associatedData(tcc: tcc, stream: block.stream, start: block.start, end: block.end, count: block.count)
        guard block.sealed.count >= XChaChaPoly.nonceLength + XChaChaPoly.tagLength,
            let plaintext = try? XChaChaPoly.open(
                Array(block.sealed[XChaChaPoly.nonceLength...]), key: dataKey, nonce: Array(block.sealed[..<XChaChaPoly.nonceLength]),
                authenticating: aad)
        else {
            throw StoreError(.corrupt, "a record block of \(tcc.short)'s stream \(block.stream) does not open (was the row changed?)")
        }
        return plaintext
    }

    static func associatedData(tcc: TCCID, stream: StreamName, start: Int64, end: Int64, count: Int) -> [UInt8] {
        var aad = blockDomain + tcc.bytes
        aad.append(UInt8(stream.rawValue.utf8.count))
        aad += stream.rawValue.utf8
        aad.appendBigEndian(UInt64(bitPattern: start))
        aad.appendBigEndian(UInt64(bitPattern: end))
        aad.appendBigEndian(UInt32(count))
        return aad
    }
}
