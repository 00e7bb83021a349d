import OMSCrypto

/// How the node's identity key is protected at rest. The TPM issue adds a sealed-by-TPM case;
/// everything that unlocks the key goes through `IdentityVault`, so that is the one seam.
public enum IdentityKeyProtection: Sendable, Hashable {
    /// A key-encryption key from argon2id over the owner's passphrase.
    case passphrase(salt: [UInt8], parameters: Argon2id.Parameters)
    /// A random key-encryption key in `identity.key` (mode 0600) beside the database.
    case keyFile

    /// Stored in the `node.key_protection` column.
    var storedName: String {
        switch self {
        case .passphrase: "passphrase-argon2id"
        case .keyFile: "key-file"
        }
    }
}

/// What unlocks the identity key when the node starts.
public enum IdentityUnlock: Sendable {
    case passphrase(String)
    /// Read `identity.key` from the data directory.
    case keyFile
}
