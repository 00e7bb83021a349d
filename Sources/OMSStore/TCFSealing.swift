import OMSCore
import OMSCrypto
import OMSProtocol

/// How a TCF's secrets rest on disk. Each TCF has its own random 32-byte key; every secret key
/// of the TCF (its owner key, its TCCs' and personas' keys) is sealed under it with
/// XChaCha20-Poly1305, the associated data naming the TCF and the public key, so a sealed
/// seed moved to another row or TCF does not open. The TCF key itself is wrapped by a key the
/// node derives from its identity, so a running node can open the TCFs it hosts without the
/// owner at the keyboard; an archive carries the TCF key under the owner's passphrase instead,
/// and migration (issue 7) under a key only the receiving node's TPM can use.
public enum TCFSealing {
    static let secretDomain = Array("oms/v1/tcf-secret".utf8) + [0]
    static let wrapDomain = Array("oms/v1/tcf-key".utf8) + [0]
    static let wrappingKeyContext = Array("oms/v1/tcf-wrapping-key".utf8)

    /// The node's key for wrapping TCF keys: keyed BLAKE2b of the identity seed, so it is as
    /// well protected as the identity and separate from its signing use.
    public static func wrappingKey(nodeIdentity: Ed25519.PrivateKey) -> SecureBytes {
        SecureBytes(copying: BLAKE2b.hash(wrappingKeyContext, outputLength: 32, key: nodeIdentity.seed.exposedBytes))
    }

    public static func newTCFKey() -> SecureBytes { SecureBytes.random(count: XChaChaPoly.keyLength) }

    /// `nonce [24] | ciphertext` of `seed`.
    public static func seal(_ key: Ed25519.PrivateKey, tcf: TCFID, under tcfKey: SecureBytes) -> [UInt8] {
        let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
        let aad = secretDomain + tcf.bytes + key.publicKey.rawRepresentation
        return nonce + (try! XChaChaPoly.seal(key.seed.exposedBytes, key: tcfKey, nonce: nonce, authenticating: aad))
    }

    public static func open(_ sealed: [UInt8], publicKey: [UInt8], tcf: TCFID, under tcfKey: SecureBytes) throws -> Ed25519.PrivateKey {
        guard sealed.count == XChaChaPoly.nonceLength + Ed25519.seedLength + XChaChaPoly.tagLength,
            let seed = try? XChaChaPoly.open(
                Array(sealed[XChaChaPoly.nonceLength...]), key: tcfKey, nonce: Array(sealed[..<XChaChaPoly.nonceLength]),
                authenticating: secretDomain + tcf.bytes + publicKey),
            let key = try? Ed25519.PrivateKey(seed: seed), key.publicKey.rawRepresentation == publicKey
        else {
            throw StoreError(.corrupt, "a sealed key of \(tcf.short) does not open with its TCF key (was the row changed?)")
        }
        return key
    }

    public static func wrap(_ tcfKey: SecureBytes, tcf: TCFID, under wrappingKey: SecureBytes) -> [UInt8] {
        let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
        return nonce + (try! XChaChaPoly.seal(tcfKey.exposedBytes, key: wrappingKey, nonce: nonce, authenticating: wrapDomain + tcf.bytes))
    }

    public static func unwrap(_ wrapped: [UInt8], tcf: TCFID, under wrappingKey: SecureBytes) throws -> SecureBytes {
        guard wrapped.count == XChaChaPoly.nonceLength + XChaChaPoly.keyLength + XChaChaPoly.tagLength,
            let key = try? XChaChaPoly.open(
                Array(wrapped[XChaChaPoly.nonceLength...]), key: wrappingKey,
                nonce: Array(wrapped[..<XChaChaPoly.nonceLength]), authenticating: wrapDomain + tcf.bytes)
        else {
            throw StoreError(.corrupt, "the key of \(tcf.short) does not open with this node's key (was it copied from another node?)")
        }
        return SecureBytes(copying: key)
    }
}
