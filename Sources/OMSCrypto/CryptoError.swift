/// Why a cryptographic operation refused its input. Small and extensible: new codes are new
/// static members, not new enum cases that break exhaustive switches downstream.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// A key, nonce or signature had the wrong number of bytes.
        public static let invalidLength = Code(name: "invalidLength")
        /// An AEAD tag did not verify: the ciphertext, nonce, key or associated data is wrong.
        public static let authenticationFailed = Code(name: "authenticationFailed")
        /// A Diffie-Hellman result was all zeros (the peer sent a low-order point).
        public static let weakPublicKey = Code(name: "weakPublicKey")
        /// An Ed25519 public key could not be converted to its X25519 form.
        public static let invalidPublicKey = Code(name: "invalidPublicKey")
        /// argon2id could not allocate or the parameters are out of range.
        public static let keyDerivationFailed = Code(name: "keyDerivationFailed")
        /// A parameter was outside the range the primitive accepts.
        public static let invalidParameter = Code(name: "invalidParameter")
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code): \(context)" }
}
