import OMSCrypto

/// The handshake of `Noise_XX_25519_ChaChaPoly_BLAKE2b`: Noise `HandshakeState` (spec section
/// 5.3) specialised to the XX pattern (section 7.5):
///
///     XX:
///       -> e
///       <- e, ee, s, es
///       -> s, se
///
/// XX is the pattern for peers that do not know each other's static key in advance: each side
/// sends its static key encrypted, and learns the other's during the handshake. The responder's
/// identity is revealed in message 2 (so the initiator can vet `remoteStaticKey` before message 3
/// reveals its own), and the initiator's in message 3.
///
/// This is a pure state machine: it never touches a socket. The shell frames each returned message
/// (OMS uses a 2-byte big-endian length prefix), follows `nextStep`, and calls `split()` once the
/// third message has been written or read.
///
/// Failures are final: after any error other than an out-of-turn call, the handshake is
/// poisoned and every later call throws `.handshakeFailed`. The spec leaves a failed handshake's
/// state undefined (section 5.3), so reusing it could only mislead.
public struct NoiseHandshake: Sendable {
    /// Which side of the pattern this party plays; the initiator sends the first message.
    public enum Role: Sendable, Hashable {
        case initiator
        case responder
    }

    /// What the shell should do next.
    public enum NextStep: Sendable, Hashable {
        /// Call `writeMessage(payload:)` and send the result.
        case write
        /// Receive the peer's next message and pass it to `readMessage(_:)`.
        case read
        /// The handshake is complete: call `split()` for the transport keys.
        case split
        /// `split()` was called; this value has no further use.
        case done
        /// The handshake failed and must be discarded.
        case failed
    }

    /// The full protocol name; it seeds `h` (section 5.2), so both sides must agree on it exactly.
    public static let protocolName = "Noise_XX_25519_ChaChaPoly_BLAKE2b"

    /// One pattern token (section 7.1). `e`/`s` carry keys; the others perform a DH whose letters
    /// name the initiator's key first.
    enum Token: Sendable {
        case e, s, ee, es, se
    }

    /// The XX message patterns; even indices are sent by the initiator.
    static let messagePatterns: [[Token]] = [
        [.e],
        [.e, .ee, .s, .es],
        [.s, .se],
    ]

    private enum Phase: Sendable {
        case running(messageIndex: Int)
        case finished
        case split
        case failed(NoiseError)
    }

    public let role: Role
    private var phase: Phase = .running(messageIndex: 0)
    private var symmetric: NoiseSymmetricState
    /// Our static key `s`: the long-term identity this handshake authenticates.
    private let localStatic: X25519.PrivateKey
    /// Our ephemeral `e`, dropped at `split()` so its secret is wiped (forward secrecy).
    private var localEphemeral: X25519.PrivateKey?
    private var remoteEphemeral: X25519.PublicKey?
    /// The peer's static key `rs`, set once the message carrying it has been read in full (the
    /// payload tag after `es`/`se` proves the peer holds the key); cleared if the handshake fails.
    public private(set) var remoteStaticKey: X25519.PublicKey?
    /// `h` at the end of the handshake; kept because `split()` discards the symmetric state.
    private var finalHash: [UInt8]?

    /// `Initialize(handshake_pattern, initiator, prologue, s, e, rs, re)` for XX (section 5.3).
    ///
    /// - Parameters:
    ///   - prologue: data both sides must agree on without sending it (section 6), e.g. the
    ///     protocol version; a mismatch makes the handshake fail at the first encrypted field.
    ///   - ephemeralKey: only for tests that reproduce fixed vectors. Production code MUST leave it
    ///     `nil`: reusing an ephemeral key destroys the handshake's security.
    public init(
        role: Role, staticKey: X25519.PrivateKey, prologue: [UInt8], ephemeralKey: X25519.PrivateKey? = nil
    ) {
        self.role = role
        localStatic = staticKey
        localEphemeral = ephemeralKey ?? X25519.PrivateKey()
        symmetric = NoiseSymmetricState(protocolName: Self.protocolName)
        symmetric.mixHash(prologue)
        // XX has no pre-messages, so nothing else enters h before the first message.
    }

    /// Tells the shell whether to send, receive or split.
    public var nextStep: NextStep {
        switch phase {
        case .running(let index): isOurs(index) ? .write : .read
        case .finished: .split
        case .split: .done
        case .failed: .failed
        }
    }

    /// `h` so far; after the last message it is the handshake hash that identifies the session
    /// (channel binding, section 11.2).
    public var handshakeHash: [UInt8] {
        finalHash ?? symmetric.h
    }

    /// `WriteMessage(payload, message_buffer)` (section 5.3). Payloads of messages 1 and 2 are
    /// sent before the peer is authenticated (message 1 even in clear): see section 7.7 for what
    /// each payload's security properties are before putting anything sensitive there.
    public mutating func writeMessage(payload: [UInt8]) throws -> [UInt8] {
        let index = try currentIndex(writing: true)
        do {
            let tokens = Self.messagePatterns[index]
            let overhead = Self.overhead(of: tokens, hasKey: symmetric.cipher.hasKey)
            guard payload.count <= NoiseTransport.maxMessageLength - overhead else {
                throw NoiseError(
                    .messageTooLong,
                    "handshake payload of \(payload.count) bytes would make message \(index + 1) exceed "
                        + "\(NoiseTransport.maxMessageLength) bytes; keep it at most "
                        + "\(NoiseTransport.maxMessageLength - overhead)")
            }
            var message: [UInt8] = []
            message.reserveCapacity(overhead + payload.count)
            for token in tokens {
                switch token {
                case .e:
                    let publicKey = try requireEphemeral().publicKey.rawRepresentation
                    message += publicKey
                    symmetric.mixHash(publicKey)
                case .s:
                    message += try symmetric.encryptAndHash(localStatic.publicKey.rawRepresentation)
                case .ee, .es, .se:
                    try mixDH(token)
                }
            }
            message += try symmetric.encryptAndHash(payload)
            advance(after: index)
            return message
        } catch {
            throw poison(error)
        }
    }

    /// `ReadMessage(message, payload_buffer)` (section 5.3): returns the peer's payload. The
    /// length is checked against what the pattern needs before anything is parsed or decrypted.
    public mutating func readMessage(_ message: [UInt8]) throws -> [UInt8] {
        let index = try currentIndex(writing: false)
        do {
            guard message.count <= NoiseTransport.maxMessageLength else {
                throw NoiseError(
                    .messageTooLong,
                    "handshake message \(index + 1) is \(message.count) bytes; Noise allows at most "
                        + "\(NoiseTransport.maxMessageLength)")
            }
            let tokens = Self.messagePatterns[index]
            let needed = Self.overhead(of: tokens, hasKey: symmetric.cipher.hasKey)
            guard message.count >= needed else {
                throw NoiseError(
                    .malformedMessage,
                    "handshake message \(index + 1) is \(message.count) bytes but its keys and tags need "
                        + "at least \(needed)")
            }
            var offset = 0
            func take(_ count: Int) -> [UInt8] {
                defer { offset += count }
                return Array(message[offset..<(offset + count)])
            }
            for token in tokens {
                switch token {
                case .e:
                    let bytes = take(X25519.keyLength)
                    remoteEphemeral = try X25519.PublicKey(rawRepresentation: bytes)
                    symmetric.mixHash(bytes)
                case .s:
                    let field = take(X25519.keyLength + (symmetric.cipher.hasKey ? NoiseCipherState.tagLength : 0))
                    remoteStaticKey = try X25519.PublicKey(rawRepresentation: symmetric.decryptAndHash(field))
                case .ee, .es, .se:
                    try mixDH(token)
                }
            }
            let payload = try symmetric.decryptAndHash(Array(message[offset...]))
            advance(after: index)
            return payload
        } catch {
            throw poison(error)
        }
    }

    /// `Split()` (section 5.2): the transport keys. Callable once, so two transports can never
    /// share keys and nonces; afterwards the ephemeral secret and chaining key are dropped.
    public mutating func split() throws -> NoiseTransport {
        switch phase {
        case .finished:
            break
        case .failed(let error):
            throw Self.poisonedError(error)
        case .split:
            throw NoiseError(.outOfOrder, "split() was already called; reuse the transport it returned")
        case .running(let index):
            throw NoiseError(
                .handshakeNotFinished,
                "split() called before the handshake finished (next message is \(index + 1) of "
                    + "\(Self.messagePatterns.count)); keep exchanging messages")
        }
        guard let remoteStaticKey else {
            throw NoiseError(.handshakeNotFinished, "the peer's static key was never received")
        }
        let hash = symmetric.h
        let (initiatorToResponder, responderToInitiator) = symmetric.split()
        finalHash = hash
        symmetric = NoiseSymmetricState(protocolName: Self.protocolName)
        localEphemeral = nil
        remoteEphemeral = nil
        phase = .split
        return NoiseTransport(
            sending: role == .initiator ? initiatorToResponder : responderToInitiator,
            receiving: role == .initiator ? responderToInitiator : initiatorToResponder,
            remoteStaticKey: remoteStaticKey,
            handshakeHash: hash)
    }

    // MARK: - Internals

    private func isOurs(_ messageIndex: Int) -> Bool {
        (messageIndex % 2 == 0) == (role == .initiator)
    }

    /// The index of the message about to be processed, or why this call is out of turn. An
    /// out-of-turn call touches no state, so it does not poison the handshake.
    private func currentIndex(writing: Bool) throws -> Int {
        let verb = writing ? "writeMessage" : "readMessage"
        switch phase {
        case .running(let index):
            guard isOurs(index) == writing else {
                throw NoiseError(
                    .outOfOrder,
                    "\(verb) called out of turn: message \(index + 1) is the "
                        + "\(isOurs(index) ? "local" : "peer's") to send (\(role))")
            }
            return index
        case .finished, .split:
            throw NoiseError(.outOfOrder, "\(verb) called after the handshake finished; use the transport from split()")
        case .failed(let error):
            throw Self.poisonedError(error)
        }
    }

    private mutating func advance(after index: Int) {
        phase = index + 1 == Self.messagePatterns.count ? .finished : .running(messageIndex: index + 1)
    }

    /// Bytes a message needs besides its payload: keys, encrypted keys and tags. `hasKey` evolves
    /// through the tokens exactly as the cipher state will (section 5.3).
    static func overhead(of tokens: [Token], hasKey initialHasKey: Bool) -> Int {
        var hasKey = initialHasKey
        var length = 0
        for token in tokens {
            switch token {
            case .e: length += X25519.keyLength
            case .s: length += X25519.keyLength + (hasKey ? NoiseCipherState.tagLength : 0)
            case .ee, .es, .se: hasKey = true
            }
        }
        return length + (hasKey ? NoiseCipherState.tagLength : 0)
    }

    /// `MixKey(DH(...))` for a DH token; which local and remote keys it pairs depends on the role
    /// (section 5.3: "es" is DH(e, rs) for the initiator and DH(s, re) for the responder).
    private mutating func mixDH(_ token: Token) throws {
        let local: X25519.PrivateKey
        let remote: X25519.PublicKey?
        switch (token, role) {
        case (.ee, _):
            (local, remote) = (try requireEphemeral(), remoteEphemeral)
        case (.es, .initiator), (.se, .responder):
            (local, remote) = (try requireEphemeral(), remoteStaticKey)
        case (.es, .responder), (.se, .initiator):
            (local, remote) = (localStatic, remoteEphemeral)
        default:
            preconditionFailure("\(token) is not a DH token")
        }
        guard let remote else {
            throw NoiseError(.malformedMessage, "DH token \(token) needs a remote key that was never received")
        }
        let shared: SecureBytes
        do {
            shared = try local.sharedSecret(with: remote)
        } catch {
            throw NoiseError(
                .weakPublicKey, "DH for token \(token) gave an all-zero secret: the peer sent a low-order public key")
        }
        symmetric.mixKey(shared.exposedBytes)
    }

    private func requireEphemeral() throws -> X25519.PrivateKey {
        guard let localEphemeral else {
            throw NoiseError(.handshakeFailed, "the local ephemeral key was already discarded")
        }
        return localEphemeral
    }

    /// Marks the handshake failed and returns the error to throw.
    private mutating func poison(_ error: any Error) -> NoiseError {
        let noiseError =
            error as? NoiseError ?? NoiseError(.handshakeFailed, "unexpected error during the handshake: \(error)")
        phase = .failed(noiseError)
        remoteStaticKey = nil
        localEphemeral = nil
        return noiseError
    }

    private static func poisonedError(_ cause: NoiseError) -> NoiseError {
        NoiseError(
            .handshakeFailed,
            "this handshake already failed (\(cause)); discard it and start a new one over a new connection")
    }
}
