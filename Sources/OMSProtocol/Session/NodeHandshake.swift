import OMSCrypto

/// The OMS handshake: Noise XX with the network's prologue, carrying each side's
/// `HandshakeIdentity` proof (protocol-spec/README.md, "Handshake").
///
/// ```
/// -> e                                   payload: empty
/// <- e, ee, s, es                        payload: responder's HandshakePayload
/// -> s, se                               payload: initiator's HandshakePayload
/// ```
/// A pure state machine: the shell passes each received Noise message to `receive` and sends
/// what the returned step says. Any error ends the handshake; the shell closes the connection.
public struct NodeHandshake: Sendable {
    public enum Step: Sendable {
        /// Send this message and wait for the next.
        case send([UInt8])
        /// Send this final message; the session is ready.
        case sendAndEstablish([UInt8], SecureSession)
        /// The session is ready; nothing to send.
        case establish(SecureSession)
    }

    public let role: NoiseHandshake.Role
    private var noise: NoiseHandshake
    private let identity: HandshakeIdentity
    private let maximumFrameLength: Int
    private let expectedRemote: NodeID?

    /// `expectedRemote`, for an initiator that dials a particular node: any other identity is
    /// refused at message 2, before this side reveals its own identity in message 3.
    public init(
        role: NoiseHandshake.Role, identity: HandshakeIdentity, network: NetworkID,
        maximumFrameLength: Int = SecureSession.defaultMaximumFrameLength, expectedRemote: NodeID? = nil,
        ephemeralKey: X25519.PrivateKey? = nil
    ) {
        self.role = role
        self.identity = identity
        self.maximumFrameLength = maximumFrameLength
        self.expectedRemote = expectedRemote
        noise = NoiseHandshake(
            role: role, staticKey: identity.staticKey, prologue: network.prologue, ephemeralKey: ephemeralKey)
    }

    /// The initiator's first message.
    public mutating func start() throws(HandshakeError) -> [UInt8] {
        guard role == .initiator else { throw HandshakeError(.noise, "only the initiator starts a handshake") }
        return try noiseStep { try $0.writeMessage(payload: []) }
    }

    public mutating func receive(_ message: [UInt8]) throws(HandshakeError) -> Step {
        let payload = try noiseStep { try $0.readMessage(message) }
        switch role {
        case .responder where noise.remoteStaticKey == nil:
            // Message 1 is unauthenticated and unencrypted: version 1 puts nothing in it.
            guard payload.isEmpty else {
                throw HandshakeError(.badIdentityPayload, "message 1 carries a \(payload.count)-byte payload; it must be empty")
            }
            return .send(try noiseStep { [identity] in try $0.writeMessage(payload: identity.payload) })
        case .responder:
            let remote = try verify(payload)
            let transport = try noiseStep { try $0.split() }
            return .establish(SecureSession(transport: transport, remote: remote, maximumFrameLength: maximumFrameLength))
        case .initiator:
            let remote = try verify(payload)
            if let expectedRemote, expectedRemote != remote.node {
                throw HandshakeError(.unexpectedPeer, "dialled \(expectedRemote.short) but \(remote.node.short) answered")
            }
            let final = try noiseStep { [identity] in try $0.writeMessage(payload: identity.payload) }
            let transport = try noiseStep { try $0.split() }
            return .sendAndEstablish(
                final, SecureSession(transport: transport, remote: remote, maximumFrameLength: maximumFrameLength))
        }
    }

    private func verify(_ payload: [UInt8]) throws(HandshakeError) -> HandshakeIdentity.Proven {
        guard let remoteStatic = noise.remoteStaticKey else {
            throw HandshakeError(.noise, "no remote static key after the message that carries it")
        }
        let remote = try HandshakeIdentity.verify(payload: payload, remoteStatic: remoteStatic)
        guard remote.node != identity.nodeID else {
            throw HandshakeError(.selfConnection, "the peer is this node itself (an address of ours was dialled)")
        }
        return remote
    }

    private mutating func noiseStep<R>(_ body: (inout NoiseHandshake) throws -> R) throws(HandshakeError) -> R {
        do {
            return try body(&noise)
        } catch let error as NoiseError {
            throw HandshakeError(.noise, error.description)
        } catch {
            throw HandshakeError(.noise, "\(error)")
        }
    }
}
