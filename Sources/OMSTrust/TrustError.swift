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
}
