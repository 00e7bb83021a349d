import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OMSCrypto

/// Seals and opens the node's Ed25519 seed. The seed is encrypted with XChaCha20-Poly1305 under
/// a key-encryption key (KEK); the associated data binds the ciphertext to its public key, so a
/// sealed seed swapped in from another node is refused rather than silently used.
public enum IdentityVault {
    static let associatedDataPrefix = Array("oms/v1/identity-key".utf8) + [0]

    public struct Sealed: Sendable, Hashable {
        public var publicKey: [UInt8]
        public var protection: IdentityKeyProtection
        public var nonce: [UInt8]
        public var ciphertext: [UInt8]
    }

    /// Seals `key`. For `.keyFile`, writes a fresh random KEK to `keyFile` with mode 0600.
    public static func seal(
        _ key: Ed25519.PrivateKey, passphrase: String?, keyFile: URL,
        parameters: Argon2id.Parameters = .moderate
    ) throws -> Sealed {
        let protection: IdentityKeyProtection
        let kek: SecureBytes
        if let passphrase {
            let salt = SecureRandom.bytes(Argon2id.saltLength)
            protection = .passphrase(salt: salt, parameters: parameters)
            kek = try Argon2id.deriveKey(passphrase: passphrase, salt: salt, parameters: parameters)
        } else {
            protection = .keyFile
            kek = SecureBytes.random(count: XChaChaPoly.keyLength)
            try writeKeyFile(kek, to: keyFile)
        }
        let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
        let ciphertext = try XChaChaPoly.seal(
            key.seed.exposedBytes, key: kek, nonce: nonce,
            authenticating: associatedDataPrefix + key.publicKey.rawRepresentation)
        return Sealed(publicKey: key.publicKey.rawRepresentation, protection: protection, nonce: nonce, ciphertext: ciphertext)
    }

    /// Opens a sealed seed and checks that it really is the key of the stored public key.
    public static func open(_ sealed: Sealed, with unlock: IdentityUnlock, keyFile: URL) throws -> Ed25519.PrivateKey {
        let kek: SecureBytes
        switch (sealed.protection, unlock) {
        case (.passphrase(let salt, let parameters), .passphrase(let passphrase)):
            kek = try Argon2id.deriveKey(passphrase: passphrase, salt: salt, parameters: parameters)
        case (.passphrase, .keyFile):
            throw StoreError(
                .passphraseRequired,
                "this node's identity key is protected by a passphrase: give it with --passphrase-file FILE or OMS_PASSPHRASE")
        case (.keyFile, _):
            kek = try readKeyFile(keyFile)
        }
        let seed: [UInt8]
        do {
            seed = try XChaChaPoly.open(
                sealed.ciphertext, key: kek, nonce: sealed.nonce,
                authenticating: associatedDataPrefix + sealed.publicKey)
        } catch {
            if case .passphrase = sealed.protection {
                throw StoreError(.wrongPassphrase, "wrong passphrase: it does not open this node's identity key")
            }
            throw StoreError(.badKeyFile, "\(keyFile.path) does not open this node's identity key (was it replaced?)")
        }
        let key = try Ed25519.PrivateKey(seed: seed)
        guard key.publicKey.rawRepresentation == sealed.publicKey else {
            throw StoreError(.corrupt, "the sealed identity key does not match the stored public key")
        }
        return key
    }

    static func writeKeyFile(_ key: SecureBytes, to url: URL) throws {
        let fd = Glibc.open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw StoreError(.badKeyFile, "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        let written = key.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == key.count, fsync(fd) == 0 else {
            throw StoreError(.badKeyFile, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Opens without following links and checks the open file itself (owner, mode, size), so
    /// what is checked is what is read; the key goes straight into wiped storage.
    static func readKeyFile(_ url: URL) throws -> SecureBytes {
        let fd = Glibc.open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw StoreError(.badKeyFile, "key file \(url.path) is a symbolic link; it must be a plain file")
            }
            throw StoreError(.badKeyFile, "key file \(url.path) is missing: it holds the key that opens this node's identity")
        }
        defer { Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw StoreError(.badKeyFile, "key file \(url.path) is not a plain file")
        }
        guard info.st_uid == geteuid() else {
            throw StoreError(.badKeyFile, "key file \(url.path) belongs to another user (uid \(info.st_uid))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw StoreError(
                .badKeyFile,
                "key file \(url.path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))): run chmod 600 on it")
        }
        guard info.st_size == XChaChaPoly.keyLength else {
            throw StoreError(.badKeyFile, "key file \(url.path) must hold exactly \(XChaChaPoly.keyLength) bytes")
        }
        return try SecureBytes(count: XChaChaPoly.keyLength) { buffer in
            guard Glibc.read(fd, buffer.baseAddress, buffer.count) == buffer.count else {
                throw StoreError(.badKeyFile, "cannot read key file \(url.path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
