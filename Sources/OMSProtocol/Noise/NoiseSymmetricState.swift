import OMSCrypto

/// Noise `SymmetricState` (spec section 5.2) over BLAKE2b: the chaining key `ck` that absorbs
/// every DH result and the handshake hash `h` that absorbs every byte sent, so that each
/// encrypted field authenticates the whole transcript before it.
///
/// It lives only for the handshake; `split()` turns it into the two transport cipher states.
struct NoiseSymmetricState: Sendable {
    /// HASHLEN for BLAKE2b (section 12.8).
    static let hashLength = BLAKE2b.maxOutputLength

    private(set) var cipher = NoiseCipherState()
    /// Secret: it keys every later `MixKey` and the final split.
    private var ck: [UInt8]
    /// Public transcript digest; after the handshake it names the session (section 11.2).
    private(set) var h: [UInt8]

    /// `InitializeSymmetric(protocol_name)`: a name that fits in HASHLEN is zero-padded rather
    /// than hashed (section 5.2), which is what makes `h` reproducible across implementations.
    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= Self.hashLength {
            h = name + [UInt8](repeating: 0, count: Self.hashLength - name.count)
        } else {
            h = BLAKE2b.hash(name, outputLength: Self.hashLength)
        }
        ck = h
    }

    /// `MixKey`: a DH result feeds the chaining key; HASHLEN 64 exceeds the 32-byte cipher key, so
    /// the derived key is truncated (section 5.2).
    mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let out = HMACBLAKE2b.noiseHKDF(chainingKey: ck, inputKeyMaterial: inputKeyMaterial, outputs: 2)
        ck = out[0]
        cipher.initializeKey(SecureBytes(copying: out[1].prefix(ChaChaPoly.keyLength)))
    }

    /// `MixHash`: binds `data` into the transcript.
    mutating func mixHash(_ data: [UInt8]) {
        var hasher = BLAKE2b.Hasher(outputLength: Self.hashLength)
        hasher.update(h)
        hasher.update(data)
        h = hasher.finalize()
    }

    /// `EncryptAndHash`: the ciphertext (not the plaintext) enters `h`, so both sides hash the
    /// same bytes.
    mutating func encryptAndHash(_ plaintext: [UInt8]) throws -> [UInt8] {
        let ciphertext = try cipher.encryptWithAd(h, plaintext: plaintext)
        mixHash(ciphertext)
        return ciphertext
    }

    /// `DecryptAndHash`.
    mutating func decryptAndHash(_ ciphertext: [UInt8]) throws -> [UInt8] {
        let plaintext = try cipher.decryptWithAd(h, ciphertext: ciphertext)
        mixHash(ciphertext)
        return plaintext
    }

    /// `Split()`: the first state is for initiator-to-responder traffic, the second for the
    /// reverse (section 5.2).
    func split() -> (initiatorToResponder: NoiseCipherState, responderToInitiator: NoiseCipherState) {
        let out = HMACBLAKE2b.noiseHKDF(chainingKey: ck, inputKeyMaterial: [], outputs: 2)
        return (
            NoiseCipherState(key: SecureBytes(copying: out[0].prefix(ChaChaPoly.keyLength))),
            NoiseCipherState(key: SecureBytes(copying: out[1].prefix(ChaChaPoly.keyLength)))
        )
    }
}
