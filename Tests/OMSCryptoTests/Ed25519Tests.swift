import OMSTestKit
import OMSCrypto
import Testing

@Suite struct Ed25519Tests {
    /// RFC 8032 section 7.1, TEST 1 (empty message).
    static let rfcSeed = [UInt8](hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let rfcPublicKey = [UInt8](hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let rfcSignature = [UInt8](
        hex: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
            + "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

    @Test func seedImportGivesRFC8032Test1() throws {
        let key = try Ed25519.PrivateKey(seed: Self.rfcSeed)
        #expect(key.publicKey.rawRepresentation == Self.rfcPublicKey)
        #expect(key.signature(for: []) == Self.rfcSignature)
        #expect(key.publicKey.isValidSignature(Self.rfcSignature, for: []))
        #expect(key.seed == SecureBytes(copying: Self.rfcSeed))
    }

    /// RFC 8032 section 7.1, TEST 2 (one-byte message 0x72).
    @Test func rfc8032Test2() throws {
        let key = try Ed25519.PrivateKey(
            seed: [UInt8](hex: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
        #expect(
            key.publicKey.rawRepresentation
                == [UInt8](hex: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"))
        #expect(
            key.signature(for: [0x72])
                == [UInt8](
                    hex: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                        + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"))
    }

    @Test func tamperedMessageOrSignatureDoesNotVerify() throws {
        let key = Ed25519.PrivateKey()
        let message = Array("open mustard seed".utf8)
        let signature = key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
        var flipped = signature
        flipped[10] ^= 1
        #expect(!key.publicKey.isValidSignature(flipped, for: message))
        #expect(!Ed25519.PrivateKey().publicKey.isValidSignature(signature, for: message))
    }

    /// A signature of the wrong length is simply not valid; it does not throw.
    @Test(arguments: [0, 63, 65, 128])
    func wrongLengthSignatureIsInvalid(length: Int) throws {
        let key = try Ed25519.PrivateKey(seed: Self.rfcSeed)
        let signature = Array((Self.rfcSignature + Self.rfcSignature + [0]).prefix(length))
        #expect(!key.publicKey.isValidSignature(signature, for: []))
    }

    @Test func seedRoundTripsToTheSameKey() throws {
        let key = Ed25519.PrivateKey()
        let again = try Ed25519.PrivateKey(seed: key.seed.exposedBytes)
        #expect(again.publicKey == key.publicKey)
    }

    /// The X25519 forms of a key pair belong together: the converted private key's public key is
    /// the converted public key, and Diffie-Hellman between converted keys agrees.
    @Test func x25519ConversionAgrees() throws {
        for key in [try Ed25519.PrivateKey(seed: Self.rfcSeed), Ed25519.PrivateKey(), Ed25519.PrivateKey()] {
            #expect(key.x25519().publicKey == (try key.publicKey.x25519()))
        }
        let alice = Ed25519.PrivateKey()
        let bob = Ed25519.PrivateKey()
        let ab = try alice.x25519().sharedSecret(with: bob.publicKey.x25519())
        let ba = try bob.x25519().sharedSecret(with: alice.publicKey.x25519())
        #expect(ab == ba)
    }

    @Test(arguments: [0, 31, 33, 64])
    func wrongLengthKeysThrowInvalidLength(length: Int) {
        let bytes = [UInt8](repeating: 1, count: length)
        let publicError = #expect(throws: CryptoError.self) { try Ed25519.PublicKey(rawRepresentation: bytes) }
        #expect(publicError?.code == .invalidLength)
        let seedError = #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(seed: bytes) }
        #expect(seedError?.code == .invalidLength)
    }
}
