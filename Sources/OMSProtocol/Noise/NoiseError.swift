import OMSCrypto

/// Why a Noise handshake or transport message was refused. Small and extensible: new codes are
/// new static members, not new enum cases that break exhaustive switches in the shell.
///
/// A shell that drives Noise over a stream (TCP) cannot resynchronise after any of these, so it
/// should log the error and close the connection.
public typealias NoiseError = CodedError<NoiseErrorDomain>

public enum NoiseErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { "Noise \(code): \(context)" }
}

extension CodedError.Code where Domain == NoiseErrorDomain {
    /// `writeMessage`/`readMessage` was called when it was the other party's turn, or after the
    /// handshake ended; the pattern fixes who speaks when (spec section 7).
    public static var outOfOrder: Self { Self("outOfOrder") }
    /// A message or plaintext exceeds Noise's 65535-byte message limit (spec section 3).
    public static var messageTooLong: Self { Self("messageTooLong") }
    /// An AEAD tag did not verify: the message was altered, replayed, or the peers disagree on
    /// the prologue or keys.
    public static var decryptFailed: Self { Self("decryptFailed") }
    /// The 64-bit nonce reached 2^64-1, which the spec reserves (section 5.1); the session must
    /// end or rekey.
    public static var nonceExhausted: Self { Self("nonceExhausted") }
    /// A handshake message is too short to hold the keys and tags its pattern requires.
    public static var malformedMessage: Self { Self("malformedMessage") }
    /// Transport keys were requested before the last handshake message was processed.
    public static var handshakeNotFinished: Self { Self("handshakeNotFinished") }
    /// An earlier error poisoned this handshake; it can never complete and must be discarded.
    public static var handshakeFailed: Self { Self("handshakeFailed") }
    /// The peer's ephemeral or static key is a low-order point (the DH result was all zeros).
    public static var weakPublicKey: Self { Self("weakPublicKey") }
}
