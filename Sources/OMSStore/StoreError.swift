import OMSCrypto

/// Why the store refused: each message says what is wrong and what the owner can do.
public typealias StoreError = CodedError<StoreErrorDomain>

public enum StoreErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { context }
}

extension CodedError.Code where Domain == StoreErrorDomain {
    /// No node has been initialised in this data directory.
    public static var notInitialized: Self { Self("notInitialized") }
    /// `oms init` ran on a directory that already holds a node.
    public static var alreadyInitialized: Self { Self("alreadyInitialized") }
    /// The passphrase does not open the identity key.
    public static var wrongPassphrase: Self { Self("wrongPassphrase") }
    /// The identity key needs a passphrase and none was given.
    public static var passphraseRequired: Self { Self("passphraseRequired") }
    /// The key file is missing, unreadable, the wrong size, or readable by others.
    public static var badKeyFile: Self { Self("badKeyFile") }
    /// The identity key is sealed by a TPM, and its master key was not unsealed.
    public static var tpmRequired: Self { Self("tpmRequired") }
    /// The master key the TPM unsealed does not open the identity key.
    public static var badMasterKey: Self { Self("badMasterKey") }
    /// Stored data failed an integrity check.
    public static var corrupt: Self { Self("corrupt") }
    /// A value given to the store is not acceptable (e.g. a malformed address).
    public static var invalidArgument: Self { Self("invalidArgument") }
}
