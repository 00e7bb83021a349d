import CSodium

/// ChaCha20-Poly1305 in its IETF form (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag.
/// Noise's `ChaChaPoly` cipher is this one.
public enum ChaChaPoly {
    public static let keyLength = 32
    public static let nonceLength = 12
    public static let tagLength = 16

    /// Returns ciphertext followed by the tag.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []
    ) throws -> [UInt8] {
        try checkLengths(key: key.count, nonce: nonce.count)
        var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var outLen: UInt64 = 0
        out.withUnsafeMutableBytes { o in
            key.withUnsafeBytes { k in
                _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                    o.bytePointer, &outLen, plaintext.bytePointer,
                    UInt64(plaintext.count), aad, UInt64(aad.count), nil, nonce,
                    k.bytePointer)
            }
        }
        return out
    }

    public static func seal(_ plaintext: [UInt8], key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try seal($0, key: key, nonce: nonce, authenticating: aad) }
    }

    /// Opens ciphertext-with-tag; throws `.authenticationFailed` on any mismatch.
    public static func open(
        _ sealed: UnsafeRawBufferPointer, key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []
    ) throws -> [UInt8] {
        try checkLengths(key: key.count, nonce: nonce.count)
        guard sealed.count >= tagLength else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than its 16-byte tag")
        }
        var out = [UInt8](repeating: 0, count: sealed.count - tagLength)
        var outLen: UInt64 = 0
        let rc = out.withUnsafeMutableBytes { o in
            key.withUnsafeBytes { k in
                crypto_aead_chacha20poly1305_ietf_decrypt(
                    o.bytePointer, &outLen, nil, sealed.bytePointer,
                    UInt64(sealed.count), aad, UInt64(aad.count), nonce,
                    k.bytePointer)
            }
        }
        guard rc == 0 else { throw CryptoError(.authenticationFailed, "ChaCha20-Poly1305 tag did not verify") }
        return out
    }

    public static func open(_ sealed: [UInt8], key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []) throws -> [UInt8] {
        try sealed.withUnsafeBytes { try open($0, key: key, nonce: nonce, authenticating: aad) }
    }

    private static func checkLengths(key: Int, nonce: Int) throws {
        Sodium.ensureReady()
        guard key == keyLength else { throw CryptoError(.invalidLength, "ChaCha20-Poly1305 key must be 32 bytes, got \(key)") }
        guard nonce == nonceLength else {
            throw CryptoError(.invalidLength, "ChaCha20-Poly1305 nonce must be 12 bytes, got \(nonce)")
        }
    }
}

/// XChaCha20-Poly1305: the 24-byte nonce is safe to pick at random, so it is what OMS uses to
/// encrypt data at rest (keys in the store, archives).
public enum XChaChaPoly {
    public static let keyLength = 32
    public static let nonceLength = 24
    public static let tagLength = 16

    public static func seal(_ plaintext: [UInt8], key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []) throws -> [UInt8] {
        try checkLengths(key: key.count, nonce: nonce.count)
        var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var outLen: UInt64 = 0
        out.withUnsafeMutableBytes { o in
            key.withUnsafeBytes { k in
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    o.bytePointer, &outLen, plaintext, UInt64(plaintext.count), aad, UInt64(aad.count), nil, nonce,
                    k.bytePointer)
            }
        }
        return out
    }

    public static func open(_ sealed: [UInt8], key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []) throws -> [UInt8] {
        try checkLengths(key: key.count, nonce: nonce.count)
        guard sealed.count >= tagLength else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than its 16-byte tag")
        }
        var out = [UInt8](repeating: 0, count: sealed.count - tagLength)
        var outLen: UInt64 = 0
        let rc = out.withUnsafeMutableBytes { o in
            key.withUnsafeBytes { k in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    o.bytePointer, &outLen, nil, sealed, UInt64(sealed.count), aad, UInt64(aad.count), nonce,
                    k.bytePointer)
            }
        }
        guard rc == 0 else { throw CryptoError(.authenticationFailed, "XChaCha20-Poly1305 tag did not verify") }
        return out
    }

    private static func checkLengths(key: Int, nonce: Int) throws {
        Sodium.ensureReady()
        guard key == keyLength else { throw CryptoError(.invalidLength, "XChaCha20-Poly1305 key must be 32 bytes, got \(key)") }
        guard nonce == nonceLength else {
            throw CryptoError(.invalidLength, "XChaCha20-Poly1305 nonce must be 24 bytes, got \(nonce)")
        }
    }
}
