import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol

/// One encrypted file holding a whole TCF: its key and every row (`TCFRows`), sealed with
/// XChaCha20-Poly1305 under a key from argon2id over the owner's passphrase. The header is
/// the associated data, so changing any byte of the file, header or body, makes it refuse
/// to open; nothing is restored from a file that does not open.
///
/// Layout: `"OMSA" | version u8 = 1 | salt [16] | ops_limit u64 | mem_limit u64 | nonce [24] | ciphertext`.
public enum TCFArchive {
    static let magic = Array("OMSA".utf8)
    static let version: UInt8 = 1
    static let headerLength = 4 + 1 + 16 + 8 + 8 + 24
    /// Refused before any work: a hostile header cannot make the node spend minutes or
    /// gigabytes in argon2id.
    static let maximumOpsLimit: UInt64 = 16
    static let maximumMemLimit: UInt64 = 1 << 30
    /// The largest archive read into memory (a TCF of a million TCCs is a few hundred MB).
    public static let maximumSize = 2 << 30

    struct Contents: Codable {
        var tcfKey: Data
        var rows: TCFRows
    }

    public static func seal(rows: TCFRows, tcfKey: SecureBytes, passphrase: String, parameters: Argon2id.Parameters) throws -> [UInt8] {
        let salt = SecureRandom.bytes(Argon2id.saltLength)
        let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
        var header = magic + [version] + salt
        header.appendBigEndian(parameters.opsLimit)
        header.appendBigEndian(UInt64(parameters.memLimit))
        header += nonce
        let key = try Argon2id.deriveKey(passphrase: passphrase, salt: salt, parameters: parameters)
        let plaintext = try JSONEncoder().encode(Contents(tcfKey: Data(tcfKey.exposedBytes), rows: rows))
        return header + (try XChaChaPoly.seal(Array(plaintext), key: key, nonce: nonce, authenticating: header))
    }

    /// The archive's contents unencrypted, for a migration, which encrypts them to the
    /// destination's TPM instead of a passphrase (protocol-spec §18).
    public static func plaintext(rows: TCFRows, tcfKey: SecureBytes) throws -> [UInt8] {
        Array(try JSONEncoder().encode(Contents(tcfKey: Data(tcfKey.exposedBytes), rows: rows)))
    }

    /// Reads what `plaintext` wrote.
    public static func contents(of plaintext: [UInt8]) throws -> (rows: TCFRows, tcfKey: SecureBytes) {
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(plaintext))
        } catch {
            throw HostingError(.badArchive, "the archive's contents do not read: \(error)")
        }
        guard contents.tcfKey.count == XChaChaPoly.keyLength else {
            throw HostingError(.badArchive, "the archive's TCF key is \(contents.tcfKey.count) bytes")
        }
        return (contents.rows, SecureBytes(copying: contents.tcfKey))
    }

    public static func open(_ bytes: [UInt8], passphrase: String) throws -> (rows: TCFRows, tcfKey: SecureBytes) {
        var reader = ByteReader(bytes)
        guard reader.read(4)?.elementsEqual(magic) == true else {
            throw HostingError(.badArchive, "not a TCF archive (it does not start with OMSA)")
        }
        guard let version = reader.readByte(), version == Self.version else {
            throw HostingError(.badArchive, "archive version is not \(Self.version); this node reads version \(Self.version)")
        }
        guard let salt = reader.readArray(Argon2id.saltLength), let ops = reader.readUInt64(), let mem = reader.readUInt64(),
            reader.read(XChaChaPoly.nonceLength) != nil, reader.remaining >= XChaChaPoly.tagLength
        else {
            throw HostingError(.badArchive, "the archive is cut short")
        }
        guard (1...maximumOpsLimit).contains(ops), (8192...maximumMemLimit).contains(mem) else {
            throw HostingError(.badArchive, "the archive asks for argon2id limits beyond what this node accepts")
        }
        let header = Array(bytes[..<headerLength])
        let nonce = Array(bytes[(headerLength - XChaChaPoly.nonceLength)..<headerLength])
        let key = try Argon2id.deriveKey(passphrase: passphrase, salt: salt, parameters: .init(opsLimit: ops, memLimit: Int(mem)))
        guard let plaintext = try? XChaChaPoly.open(Array(bytes[headerLength...]), key: key, nonce: nonce, authenticating: header)
        else {
            throw HostingError(.badArchive, "the archive does not open: wrong passphrase, or the file was changed")
        }
        return try contents(of: plaintext)
    }
}
