import OMSCrypto

/// The transport phase of a completed Noise session (spec section 5: after `Split()`, each side
/// holds one cipher state per direction).
///
/// Transport messages carry no nonce: each side counts them, so messages must arrive exactly once
/// and in order, as over TCP. A replayed, reordered or dropped message therefore fails to decrypt,
/// and a stream shell should close the connection on any error from `decrypt`.
///
/// Every Noise message is at most 65535 bytes (section 3); that is what lets a 2-byte length
/// prefix frame it, so the limit is enforced here on both sides.
public struct NoiseTransport: Sendable {
    /// The largest Noise message, handshake or transport (section 3).
    public static let maxMessageLength = 65535
    /// The largest plaintext whose encryption (plus the 16-byte tag) still fits in one message.
    public static let maxPlaintextLength = maxMessageLength - NoiseCipherState.tagLength

    /// Encrypts what we send; its nonce counts our messages.
    private(set) var sendCipher: NoiseCipherState
    /// Decrypts what we receive; its nonce counts the peer's messages.
    private(set) var receiveCipher: NoiseCipherState
    /// The peer's authenticated static key: the identity the session is bound to.
    public let remoteStaticKey: X25519.PublicKey
    /// The final `h`, equal on both sides; a unique session identifier for channel binding
    /// (section 11.2).
    public let handshakeHash: [UInt8]

    init(
        sending: NoiseCipherState, receiving: NoiseCipherState, remoteStaticKey: X25519.PublicKey,
        handshakeHash: [UInt8]
    ) {
        sendCipher = sending
        receiveCipher = receiving
        self.remoteStaticKey = remoteStaticKey
        self.handshakeHash = handshakeHash
    }

    /// How many messages we have sent; a shell can rekey or reconnect well before 2^64-1.
    public var sentCount: UInt64 { sendCipher.n }
    /// How many messages we have received and authenticated.
    public var receivedCount: UInt64 { receiveCipher.n }

    /// Encrypts one transport message (`EncryptWithAd` with empty associated data, section 5).
    public mutating func encrypt(_ plaintext: [UInt8]) throws -> [UInt8] {
        guard plaintext.count <= Self.maxPlaintextLength else {
            throw NoiseError(
                .messageTooLong,
                "plaintext of \(plaintext.count) bytes exceeds \(Self.maxPlaintextLength), the most one "
                    + "\(Self.maxMessageLength)-byte Noise message can carry; split it across messages")
        }
        return try sendCipher.encryptWithAd([], plaintext: plaintext)
    }

    /// Decrypts the peer's next transport message. On failure nothing changes (section 5.1), but
    /// over an ordered stream the session cannot recover and should be closed.
    public mutating func decrypt(_ ciphertext: [UInt8]) throws -> [UInt8] {
        guard ciphertext.count <= Self.maxMessageLength else {
            throw NoiseError(
                .messageTooLong,
                "transport message of \(ciphertext.count) bytes exceeds Noise's \(Self.maxMessageLength)-byte limit")
        }
        return try receiveCipher.decryptWithAd([], ciphertext: ciphertext)
    }

    /// `Rekey()` of the sending key (section 11.3); the peer must call `rekeyReceiving()` at the
    /// same point in the stream, which the application protocol has to signal.
    public mutating func rekeySending() throws {
        try sendCipher.rekey()
    }

    /// `Rekey()` of the receiving key, matching the peer's `rekeySending()`.
    public mutating func rekeyReceiving() throws {
        try receiveCipher.rekey()
    }
}
