import OMSCrypto

/// Why the TPM (or the trust built on it) refused or failed; the TPM's own response code and
/// its decoding by tss2 are in the context.
public typealias TrustError = CodedError<TrustErrorDomain>

public enum TrustErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == TrustErrorDomain {
    /// No TPM could be reached at the TCTI given.
    public static var unavailable: Self { Self("unavailable") }
    /// The TPM answered a command with an error.
    public static var tpm: Self { Self("tpm") }
    /// An argument the TPM cannot take (a PCR index, a size).
    public static var invalidArgument: Self { Self("invalidArgument") }
    /// Bytes that are not the TPM structure they should be (cut short, oversized, wrong magic).
    public static var malformed: Self { Self("malformed") }
    /// A well-formed structure OMS does not take (another curve, hash or object type).
    public static var unsupported: Self { Self("unsupported") }
    /// An attestation's signature does not verify, or it certifies another object.
    public static var badSignature: Self { Self("badSignature") }
    /// An attestation over another nonce than the verifier's.
    public static var wrongNonce: Self { Self("wrongNonce") }
    /// Quoted PCRs that are not the ones, or do not hold the values, a policy expects.
    public static var pcrMismatch: Self { Self("pcrMismatch") }
    /// A key that cannot vouch for what it signs, or one a policy does not allow.
    public static var untrustedKey: Self { Self("untrustedKey") }
    /// A sealed secret the TPM will not open (another TPM's, or PCRs that changed).
    public static var sealed: Self { Self("sealed") }
}
