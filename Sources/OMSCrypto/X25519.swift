import CSodium

/// X25519 Diffie-Hellman (RFC 7748).
public enum X25519 {
    public static let keyLength = 32

    public struct PublicKey: Hashable, Sendable {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation: [UInt8]) throws {
            guard rawRepresentation.count == X25519.keyLength else {
                throw CryptoError(.invalidLength, "X25519 public key must be 32 bytes, got \(rawRepresentation.count)")
            }
            self.rawRepresentation = rawRepresentation
        }
    }

    public struct PrivateKey: Sendable {
        let secret: SecureBytes
        public let publicKey: PublicKey

        /// A new key from the system CSPRNG.
        public init() {
            self.init(secret: SecureBytes.random(count: X25519.keyLength))
        }

        /// A key from its 32 raw bytes (clamping happens inside the scalar multiplication).
        public init(rawRepresentation: [UInt8]) throws {
            guard rawRepresentation.count == X25519.keyLength else {
                throw CryptoError(.invalidLength, "X25519 private key must be 32 bytes, got \(rawRepresentation.count)")
            }
            self.init(secret: SecureBytes(copying: rawRepresentation))
        }

        init(secret: SecureBytes) {
            Sodium.ensureReady()
            self.secret = secret
            var pk = [UInt8](repeating: 0, count: X25519.keyLength)
            secret.withUnsafeBytes { s in
                _ = crypto_scalarmult_base(&pk, s.bytePointer)
            }
            publicKey = try! PublicKey(rawRepresentation: pk)
        }

        /// The raw scalar; only for storage under encryption.
        public var rawRepresentation: SecureBytes { secret }

        /// The shared secret with `peer`. Refuses an all-zero result, which only a low-order
        /// (malicious) public key produces.
        public func sharedSecret(with peer: PublicKey) throws -> SecureBytes {
            try SecureBytes(count: X25519.keyLength) { out in
                let rc = secret.withUnsafeBytes { s in
                    crypto_scalarmult(out.bytePointer, s.bytePointer, peer.rawRepresentation)
                }
                guard rc == 0 else {
                    throw CryptoError(.weakPublicKey, "X25519 produced an all-zero shared secret (low-order public key)")
                }
            }
        }
    }
}
