import CSodium

/// Ed25519 signatures (RFC 8032) through libsodium. libsodium's verify rejects non-canonical
/// `S`, small-order `R` and small-order public keys, which is what the Wycheproof vectors demand.
public enum Ed25519 {
    public static let publicKeyLength = 32
    public static let seedLength = 32
    public static let signatureLength = 64

    public struct PublicKey: Hashable, Sendable {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation: [UInt8]) throws {
            guard rawRepresentation.count == Ed25519.publicKeyLength else {
                throw CryptoError(.invalidLength, "Ed25519 public key must be 32 bytes, got \(rawRepresentation.count)")
            }
            self.rawRepresentation = rawRepresentation
        }

        /// Verifies a detached signature over `message`.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            message.withUnsafeBytes { isValidSignature(signature, for: $0) }
        }

        public func isValidSignature(_ signature: [UInt8], for message: UnsafeRawBufferPointer) -> Bool {
            Sodium.ensureReady()
            guard signature.count == Ed25519.signatureLength else { return false }
            return crypto_sign_verify_detached(signature, message.bytePointer, UInt64(message.count), rawRepresentation) == 0
        }

        /// The X25519 key with the same secret (RFC 7748 birational map), for protocols that
        /// need Diffie-Hellman with an identity key.
        public func x25519() throws -> X25519.PublicKey {
            Sodium.ensureReady()
            var out = [UInt8](repeating: 0, count: X25519.keyLength)
            let rc = crypto_sign_ed25519_pk_to_curve25519(&out, rawRepresentation)
            guard rc == 0 else { throw CryptoError(.invalidPublicKey, "Ed25519 public key has no X25519 form") }
            return try X25519.PublicKey(rawRepresentation: out)
        }
    }

    public struct PrivateKey: Sendable {
        /// libsodium's 64-byte secret key: seed followed by the public key.
        private let secret: SecureBytes
        public let publicKey: PublicKey

        /// A new key from the system CSPRNG.
        public init() {
            self.init(seed: SecureBytes.random(count: Ed25519.seedLength))
        }

        /// The key whose RFC 8032 seed is `seed` (32 bytes).
        public init(seed: [UInt8]) throws {
            guard seed.count == Ed25519.seedLength else {
                throw CryptoError(.invalidLength, "Ed25519 seed must be 32 bytes, got \(seed.count)")
            }
            self.init(seed: SecureBytes(copying: seed))
        }

        public init(seed: SecureBytes) {
            Sodium.ensureReady()
            precondition(seed.count == Ed25519.seedLength)
            var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
            secret = SecureBytes(count: Int(crypto_sign_secretkeybytes())) { sk in
                seed.withUnsafeBytes { s in
                    _ = crypto_sign_seed_keypair(&pk, sk.bytePointer, s.bytePointer)
                }
            }
            publicKey = try! PublicKey(rawRepresentation: pk)
        }

        /// The 32-byte seed, which is all that needs storing to recreate the key.
        public var seed: SecureBytes {
            secret.withUnsafeBytes { SecureBytes(copying: $0.prefix(Ed25519.seedLength)) }
        }

        public func signature(for message: [UInt8]) -> [UInt8] {
            message.withUnsafeBytes { signature(for: $0) }
        }

        public func signature(for message: UnsafeRawBufferPointer) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: Ed25519.signatureLength)
            secret.withUnsafeBytes { sk in
                _ = crypto_sign_detached(&sig, nil, message.bytePointer, UInt64(message.count), sk.bytePointer)
            }
            return sig
        }

        /// The X25519 private key with the same secret scalar.
        public func x25519() -> X25519.PrivateKey {
            let raw = SecureBytes(count: X25519.keyLength) { out in
                secret.withUnsafeBytes { sk in
                    _ = crypto_sign_ed25519_sk_to_curve25519(out.bytePointer, sk.bytePointer)
                }
            }
            return X25519.PrivateKey(secret: raw)
        }
    }
}
