/// Why a Noise handshake or transport message was refused. Small and extensible: new codes are
/// new static members, not new enum cases that break exhaustive switches in the shell.
///
/// A shell that drives Noise over a stream (TCP) cannot resynchronise after any of these, so it
/// should log the error and close the connection.
public struct NoiseError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// `writeMessage`/`readMessage` was called when it was the other party's turn, or after the
        /// handshake ended; the pattern fixes who speaks when (spec section 7).
        public static let outOfOrder = Code(name: "outOfOrder")
        /// A message or plaintext exceeds Noise's 65535-byte message limit (spec section 3).
        public static let messageTooLong = Code(name: "messageTooLong")
        /// An AEAD tag did not verify: the message was altered, replayed, or the peers disagree on
        /// the prologue or keys.
        public static let decryptFailed = Code(name: "decryptFailed")
        /// The 64-bit nonce reached 2^64-1, which the spec reserves (section 5.1); the session must
        /// end or rekey.
        public static let nonceExhausted = Code(name: "nonceExhausted")
        /// A handshake message is too short to hold the keys and tags its pattern requires.
        public static let malformedMessage = Code(name: "malformedMessage")
        /// Transport keys were requested before the last handshake message was processed.
        public static let handshakeNotFinished = Code(name: "handshakeNotFinished")
        /// An earlier error poisoned this handshake; it can never complete and must be discarded.
        public static let handshakeFailed = Code(name: "handshakeFailed")
        /// The peer's ephemeral or static key is a low-order point (the DH result was all zeros).
        public static let weakPublicKey = Code(name: "weakPublicKey")
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "Noise \(code): \(context)" }
}
