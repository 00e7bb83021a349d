/// Why a cryptographic operation refused its input. Small and extensible: new codes are new
/// static members, not new enum cases that break exhaustive switches downstream.
public typealias CryptoError = CodedError<CryptoErrorDomain>

public enum CryptoErrorDomain: ErrorDomain {
}

extension CodedError.Code where Domain == CryptoErrorDomain {
    /// A key, nonce or signature had the wrong number of bytes.
    public static var invalidLength: Self { Self("invalidLength") }
    /// An AEAD tag did not verify: the ciphertext, nonce, key or associated data is wrong.
    public static var authenticationFailed: Self { Self("authenticationFailed") }
    /// A Diffie-Hellman result was all zeros (the peer sent a low-order point).
    public static var weakPublicKey: Self { Self("weakPublicKey") }
    /// An Ed25519 public key could not be converted to its X25519 form.
    public static var invalidPublicKey: Self { Self("invalidPublicKey") }
    /// argon2id could not allocate or the parameters are out of range.
    public static var keyDerivationFailed: Self { Self("keyDerivationFailed") }
    /// A parameter was outside the range the primitive accepts.
    public static var invalidParameter: Self { Self("invalidParameter") }
}
