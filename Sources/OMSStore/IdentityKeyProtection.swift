import OMSCrypto
import OMSProtocol

/// How the node's identity key is protected at rest. Everything that unlocks the key goes
/// through `IdentityVault`, so that is the one seam.
public enum IdentityKeyProtection: Sendable, Hashable {
    /// A random master key sealed by the machine's TPM.
    case tpm(TPMSealedKey)
    /// A key-encryption key from argon2id over the owner's passphrase.
    case passphrase(salt: [UInt8], parameters: Argon2id.Parameters)
    /// A random key-encryption key in `identity.key` (mode 0600) beside the database.
    case keyFile

    /// Stored in the `node.key_protection` column.
    var storedName: String {
        switch self {
        case .tpm: "tpm"
        case .passphrase: "passphrase-argon2id"
        case .keyFile: "key-file"
        }
    }

    /// What the node states about itself in its handshake and attestations.
    public var trust: NodeTrust {
        switch self {
        case .tpm: .tpm
        case .passphrase: .passphrase
        case .keyFile: .keyFile
        }
    }
}

/// The node's master key as the TPM sealed it: where the TPM is, and the sealed object as the
/// TPM let it out (its public area and its private part, encrypted under the TPM's storage key,
/// which never leaves the TPM). On another machine, or with the TPM cleared, it opens nothing.
public struct TPMSealedKey: Sendable, Hashable {
    /// The tss2 TCTI that reaches the TPM (`device:/dev/tpmrm0`, or a swtpm's address).
    public var tcti: String
    public var publicArea: [UInt8]
    public var privateBlob: [UInt8]

    public init(tcti: String, publicArea: [UInt8], privateBlob: [UInt8]) {
        self.tcti = tcti
        self.publicArea = publicArea
        self.privateBlob = privateBlob
    }
}

/// What unlocks the identity key when the node starts.
public enum IdentityUnlock: Sendable {
    case passphrase(String)
    /// Read `identity.key` from the data directory.
    case keyFile
    /// The master key, as the TPM unsealed it.
    case masterKey(SecureBytes)
}
