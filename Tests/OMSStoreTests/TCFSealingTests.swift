import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// How TCF secrets rest on disk: a sealed key opens only in its own TCF, for its own public
/// key, under its own TCF key, unchanged; a wrapped TCF key opens only on the node that wrapped it.
@Suite struct TCFSealingTests {
    let tcf = TCFID(uncheckedBytes: SecureRandom.bytes(32))
    let tcfKey = TCFSealing.newTCFKey()
    let secret = Ed25519.PrivateKey()

    @Test func aSealedKeyOpensToTheSameKey() throws {
        let sealed = TCFSealing.seal(secret, tcf: tcf, under: tcfKey)
        #expect(sealed.count == XChaChaPoly.nonceLength + Ed25519.seedLength + XChaChaPoly.tagLength)
        let opened = try TCFSealing.open(sealed, publicKey: secret.publicKey.rawRepresentation, tcf: tcf, under: tcfKey)
        #expect(opened.seed == secret.seed)
        #expect(opened.publicKey == secret.publicKey)
        // Sealed with a fresh nonce each time, and never holding the seed in clear.
        #expect(TCFSealing.seal(secret, tcf: tcf, under: tcfKey) != sealed)
        #expect(!DatabaseFileTests.contains(sealed, secret.seed.exposedBytes))
    }

    @Test func aSealedKeyDoesNotOpenAnywhereElse() throws {
        let sealed = TCFSealing.seal(secret, tcf: tcf, under: tcfKey)
        let publicKey = secret.publicKey.rawRepresentation

        let otherTCF = storeError {
            try TCFSealing.open(
                sealed, publicKey: publicKey, tcf: TCFID(uncheckedBytes: SecureRandom.bytes(32)), under: tcfKey)
        }
        #expect(otherTCF?.code == .corrupt)
        let otherPublicKey = storeError {
            try TCFSealing.open(
                sealed, publicKey: Ed25519.PrivateKey().publicKey.rawRepresentation, tcf: tcf, under: tcfKey)
        }
        #expect(otherPublicKey?.code == .corrupt)
        let otherTCFKey = storeError {
            try TCFSealing.open(sealed, publicKey: publicKey, tcf: tcf, under: TCFSealing.newTCFKey())
        }
        #expect(otherTCFKey?.code == .corrupt)

        for index in sealed.indices {
            var flipped = sealed
            flipped[index] ^= 0x01
            #expect(
                storeError { try TCFSealing.open(flipped, publicKey: publicKey, tcf: tcf, under: tcfKey) }?.code
                    == .corrupt, "byte \(index)")
        }
        for length in [0, XChaChaPoly.nonceLength, sealed.count - 1] {
            let cut = Array(sealed.prefix(length))
            #expect(
                storeError { try TCFSealing.open(cut, publicKey: publicKey, tcf: tcf, under: tcfKey) }?.code
                    == .corrupt, "\(length) bytes")
        }
        #expect(
            storeError { try TCFSealing.open(sealed + [0], publicKey: publicKey, tcf: tcf, under: tcfKey) }?.code
                == .corrupt)
    }

    @Test func aWrappedTCFKeyUnwrapsOnlyOnItsNode() throws {
        let node = Ed25519.PrivateKey()
        let wrapped = TCFSealing.wrap(tcfKey, tcf: tcf, under: TCFSealing.wrappingKey(nodeIdentity: node))
        #expect(wrapped.count == XChaChaPoly.nonceLength + XChaChaPoly.keyLength + XChaChaPoly.tagLength)
        #expect(!DatabaseFileTests.contains(wrapped, tcfKey.exposedBytes))
        #expect(try TCFSealing.unwrap(wrapped, tcf: tcf, under: TCFSealing.wrappingKey(nodeIdentity: node)) == tcfKey)

        let otherNode = storeError {
            try TCFSealing.unwrap(wrapped, tcf: tcf, under: TCFSealing.wrappingKey(nodeIdentity: Ed25519.PrivateKey()))
        }
        #expect(otherNode?.code == .corrupt)
        let otherTCF = storeError {
            try TCFSealing.unwrap(
                wrapped, tcf: TCFID(uncheckedBytes: SecureRandom.bytes(32)),
                under: TCFSealing.wrappingKey(nodeIdentity: node))
        }
        #expect(otherTCF?.code == .corrupt)
        for index in [0, XChaChaPoly.nonceLength, wrapped.count - 1] {
            var flipped = wrapped
            flipped[index] ^= 0x80
            let error = storeError {
                try TCFSealing.unwrap(flipped, tcf: self.tcf, under: TCFSealing.wrappingKey(nodeIdentity: node))
            }
            #expect(error?.code == .corrupt, "byte \(index)")
        }
    }

    @Test func theWrappingKeyIsDeterministicPerIdentity() throws {
        let node = Ed25519.PrivateKey()
        let key = TCFSealing.wrappingKey(nodeIdentity: node)
        #expect(key.count == 32)
        #expect(TCFSealing.wrappingKey(nodeIdentity: node) == key)
        // The same identity restored from its seed (a restarted node) derives the same key.
        #expect(TCFSealing.wrappingKey(nodeIdentity: Ed25519.PrivateKey(seed: node.seed)) == key)
        #expect(TCFSealing.wrappingKey(nodeIdentity: Ed25519.PrivateKey()) != key)
        // Derived, not the identity seed itself.
        #expect(key.exposedBytes != node.seed.exposedBytes)
    }
}
