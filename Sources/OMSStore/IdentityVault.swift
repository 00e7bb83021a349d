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

    /// Seals `key`: under the TPM-sealed master key when `tpm` is given, else under a key from
    /// `passphrase`, else under a fresh random KEK written to `keyFile` with mode 0600.
    public static func seal(
        _ key: Ed25519.PrivateKey, passphrase: String?, tpm: (sealed: TPMSealedKey, masterKey: SecureBytes)? = nil, keyFile: URL,
        parameters: Argon2id.Parameters = .moderate
    ) throws -> Sealed {
        let protection: IdentityKeyProtection
        let kek: SecureBytes
        if let tpm {
            guard tpm.masterKey.count == XChaChaPoly.keyLength else {
                throw StoreError(.corrupt, "a master key of \(tpm.masterKey.count) bytes; \(XChaChaPoly.keyLength) expected")
            }
            protection = .tpm(tpm.sealed)
            kek = tpm.masterKey
        } else if let passphrase {
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
        case (.tpm(let sealed), .masterKey(let master)):
            guard master.count == XChaChaPoly.keyLength else {
                throw StoreError(.badMasterKey, "the TPM unsealed \(master.count) bytes where the \(XChaChaPoly.keyLength)-byte master key was sealed (\(sealed.tcti))")
            }
            kek = master
        case (.tpm(let sealed), _):
            throw StoreError(.tpmRequired, "this node's identity key is sealed by the TPM at \(sealed.tcti): unseal its master key there")
        case (.passphrase, .masterKey):
            throw StoreError(.passphraseRequired, "this node's identity key is protected by a passphrase, not by a TPM")
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
            if case .tpm(let tpm) = sealed.protection {
                throw StoreError(.badMasterKey, "the master key the TPM at \(tpm.tcti) unsealed does not open this node's identity key")
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
        guard try OwnerOnlyFile.create(url, key) else {
            throw StoreError(.badKeyFile, "cannot create \(url.path): \(String(cString: strerror(EEXIST)))")
        }
    }

    static func readKeyFile(_ url: URL) throws -> SecureBytes {
        try OwnerOnlyFile.read(
            url, what: "key file", sizes: XChaChaPoly.keyLength...XChaChaPoly.keyLength,
            missing: "it holds the key that opens this node's identity")
    }
}
