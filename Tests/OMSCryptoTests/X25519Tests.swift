import OMSTestKit
import OMSCrypto
import Testing

@Suite struct X25519Tests {
    /// RFC 7748 section 6.1.
    @Test func rfc7748Section6_1() throws {
        let alice = try X25519.PrivateKey(
            rawRepresentation: [UInt8](hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let bob = try X25519.PrivateKey(
            rawRepresentation: [UInt8](hex: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        #expect(
            alice.publicKey.rawRepresentation
                == [UInt8](hex: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
        #expect(
            bob.publicKey.rawRepresentation
                == [UInt8](hex: "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
        let shared = [UInt8](hex: "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        #expect(try alice.sharedSecret(with: bob.publicKey).exposedBytes == shared)
        #expect(try bob.sharedSecret(with: alice.publicKey).exposedBytes == shared)
    }

    @Test func randomKeysAgree() throws {
        let a = X25519.PrivateKey()
        let b = X25519.PrivateKey()
        #expect(try a.sharedSecret(with: b.publicKey) == b.sharedSecret(with: a.publicKey))
        #expect(a.publicKey != b.publicKey)
    }

    /// Low-order points give an all-zero secret, which is refused. Repeated, because a refusal
    /// once wiped and freed the secret's storage twice (see `SecureBytes.init(count:fill:)`).
    @Test func lowOrderPublicKeyIsRefused() throws {
        let key = X25519.PrivateKey()
        let zero = try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        let one = try X25519.PublicKey(rawRepresentation: [1] + [UInt8](repeating: 0, count: 31))
        for _ in 0..<100 {
            for peer in [zero, one] {
                let error = #expect(throws: CryptoError.self) { try key.sharedSecret(with: peer) }
                #expect(error?.code == .weakPublicKey)
            }
        }
    }

    @Test(arguments: [0, 31, 33])
    func wrongLengthKeysThrowInvalidLength(length: Int) {
        let bytes = [UInt8](repeating: 9, count: length)
        let publicError = #expect(throws: CryptoError.self) { try X25519.PublicKey(rawRepresentation: bytes) }
        #expect(publicError?.code == .invalidLength)
        let privateError = #expect(throws: CryptoError.self) { try X25519.PrivateKey(rawRepresentation: bytes) }
        #expect(privateError?.code == .invalidLength)
    }
}
