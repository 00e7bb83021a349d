import OMSCrypto

/// Noise `CipherState` (spec section 5.1) for `ChaChaPoly`: a key `k` and a 64-bit counter `n`
/// used as the nonce.
///
/// Security rests on never reusing a nonce under one key, so `n` only moves forward: it advances
/// after each successful encryption or decryption, a failed decryption leaves it unchanged, and
/// the value 2^64-1 is reserved (section 5.1), so the state refuses to go further instead of
/// wrapping.
public struct NoiseCipherState: Sendable {
    /// `ChaChaPoly` tag length: every encrypted Noise field grows by this much (section 4.2).
    public static let tagLength = ChaChaPoly.tagLength

    /// Empty until the first `MixKey`; with no key, encryption is the identity (section 5.1).
    private var k: SecureBytes?
    /// The next nonce; public so a shell can report how far a session has gone.
    public private(set) var n: UInt64 = 0

    /// A state with `key` (32 bytes) or with no key yet.
    public init(key: SecureBytes? = nil) {
        precondition(key == nil || key!.count == ChaChaPoly.keyLength, "ChaChaPoly key must be 32 bytes")
        k = key
    }

    /// Whether `EncryptWithAd` will actually encrypt; message lengths depend on it (section 5.1).
    public var hasKey: Bool { k != nil }

    /// `InitializeKey`: a new key always restarts the nonce at zero (section 5.1).
    mutating func initializeKey(_ key: SecureBytes?) {
        precondition(key == nil || key!.count == ChaChaPoly.keyLength, "ChaChaPoly key must be 32 bytes")
        k = key
        n = 0
    }

    /// `SetNonce`, which the spec offers for out-of-order transports (section 11.4); OMS runs over
    /// ordered streams and uses it only in tests, so it is not public.
    mutating func setNonce(_ nonce: UInt64) {
        n = nonce
    }

    /// `EncryptWithAd(ad, plaintext)`: the associated data binds the ciphertext to the transcript.
    public mutating func encryptWithAd(_ ad: [UInt8], plaintext: [UInt8]) throws -> [UInt8] {
        guard let k else { return plaintext }
        try checkNonce()
        let sealed = try ChaChaPoly.seal(plaintext, key: k, nonce: Self.nonce(n), authenticating: ad)
        n += 1
        return sealed
    }

    /// `DecryptWithAd(ad, ciphertext)`: on failure `n` stays put, as section 5.1 requires.
    public mutating func decryptWithAd(_ ad: [UInt8], ciphertext: [UInt8]) throws -> [UInt8] {
        guard let k else { return ciphertext }
        try checkNonce()
        guard ciphertext.count >= Self.tagLength else {
            throw NoiseError(
                .malformedMessage, "ciphertext of \(ciphertext.count) bytes is shorter than its 16-byte tag")
        }
        let plaintext: [UInt8]
        do {
            plaintext = try ChaChaPoly.open(ciphertext, key: k, nonce: Self.nonce(n), authenticating: ad)
        } catch {
            throw NoiseError(
                .decryptFailed,
                "authentication tag did not verify at nonce \(n): "
                    + "the message was altered, replayed or sent under other keys")
        }
        n += 1
        return plaintext
    }

    /// `Rekey()` (section 11.3): replaces `k` with `REKEY(k)` so a long session can drop old keys.
    /// The nonce is kept, as the spec prescribes.
    public mutating func rekey() throws {
        guard let k else { return }
        let sealed = try ChaChaPoly.seal(
            [UInt8](repeating: 0, count: ChaChaPoly.keyLength), key: k, nonce: Self.nonce(.max))
        self.k = SecureBytes(copying: sealed.prefix(ChaChaPoly.keyLength))
    }

    /// `Split` hands out the keys of the transport phase; copying them lets tests compare states.
    var key: SecureBytes? { k }

    private func checkNonce() throws {
        guard n < .max else {
            throw NoiseError(
                .nonceExhausted, "nonce reached 2^64-1, which Noise reserves: end the session and handshake again")
        }
    }

    /// `ChaChaPoly` nonce encoding (spec section 12.3): 32 bits of zeros
    /// followed by the little-endian 64-bit counter.
    static func nonce(_ n: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: ChaChaPoly.nonceLength)
        for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
        return bytes
    }
}
