import CSodium

/// argon2id password hashing, for turning an owner's passphrase into a key-encryption key.
public enum Argon2id {
    public static let saltLength = Int(crypto_pwhash_SALTBYTES)

    /// Cost parameters, stored beside whatever they protect so that stronger defaults later do
    /// not lock out older data.
    public struct Parameters: Hashable, Sendable, Codable {
        public var opsLimit: UInt64
        public var memLimit: Int

        public init(opsLimit: UInt64, memLimit: Int) {
            self.opsLimit = opsLimit
            self.memLimit = memLimit
        }

        /// libsodium's INTERACTIVE limits (2 passes, 64 MiB): ~60 ms here.
        public static let interactive = Parameters(
            opsLimit: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memLimit: Int(crypto_pwhash_MEMLIMIT_INTERACTIVE))
        /// libsodium's MODERATE limits (3 passes, 256 MiB), for keys that are unlocked rarely.
        public static let moderate = Parameters(
            opsLimit: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memLimit: Int(crypto_pwhash_MEMLIMIT_MODERATE))
    }

    public static func deriveKey(
        passphrase: String, salt: [UInt8], length: Int = 32, parameters: Parameters = .interactive
    ) throws -> SecureBytes {
        Sodium.ensureReady()
        guard salt.count == saltLength else {
            throw CryptoError(.invalidLength, "argon2id salt must be \(saltLength) bytes, got \(salt.count)")
        }
        // crypto_pwhash wants a non-null pointer even for an empty passphrase.
        let password = Array(passphrase.utf8) + [0]
        return try SecureBytes(count: length) { out in
            let rc = password.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { cp in
                    crypto_pwhash(
                        out.bytePointer, UInt64(length), cp,
                        UInt64(password.count - 1), salt, parameters.opsLimit, parameters.memLimit,
                        crypto_pwhash_ALG_ARGON2ID13)
                }
            }
            guard rc == 0 else {
                throw CryptoError(.keyDerivationFailed, "argon2id failed (out of memory or parameters out of range)")
            }
        }
    }
}
