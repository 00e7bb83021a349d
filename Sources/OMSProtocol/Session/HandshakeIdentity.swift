import OMSCrypto
import SwiftProtobuf

/// A node's proof, sent inside the Noise handshake, that its Noise static key speaks for its
/// Ed25519 identity, and its statement of how its keys rest: the identity key signs
/// `"oms/v1/noise-static-key" | 0x00 | static key | trust`.
/// Without it a peer would know only an anonymous X25519 key (protocol-spec/README.md,
/// "Handshake").
///
/// The static key is fresh for each run of a node and signed once; the identity key never
/// takes part in Diffie-Hellman.
public struct HandshakeIdentity: Sendable {
    static let signingDomain = Array("oms/v1/noise-static-key".utf8) + [0]

    public let identity: Ed25519.PrivateKey
    public let trust: NodeTrust
    public let staticKey: X25519.PrivateKey
    /// The serialised `HandshakePayload`, computed once.
    let payload: [UInt8]

    public init(identity: Ed25519.PrivateKey, trust: NodeTrust, staticKey: X25519.PrivateKey = X25519.PrivateKey()) {
        self.init(identity: identity, trust: trust, staticKey: staticKey, payload: Self.proof(identity: identity, trust: trust, staticKey: staticKey))
    }

    /// Pairs a key with an arbitrary payload: only tests build mismatched ones.
    init(identity: Ed25519.PrivateKey, trust: NodeTrust, staticKey: X25519.PrivateKey, payload: [UInt8]) {
        self.identity = identity
        self.trust = trust
        self.staticKey = staticKey
        self.payload = payload
    }

    static func proof(identity: Ed25519.PrivateKey, trust: NodeTrust, staticKey: X25519.PrivateKey) -> [UInt8] {
        let proof = WireHandshakePayload.with {
            $0.identityKey = .init(identity.publicKey.rawRepresentation)
            $0.identitySignature = .init(identity.signature(for: Self.signingInput(staticKey.publicKey, trust: trust.rawValue)))
            $0.trust = WireNodeTrust(rawValue: Int(trust.rawValue)) ?? .unspecified
        }
        return try! proof.serializedBytes()
    }

    public var nodeID: NodeID { NodeID(publicKey: identity.publicKey) }

    static func signingInput(_ staticKey: X25519.PublicKey, trust: UInt8) -> [UInt8] {
        signingDomain + staticKey.rawRepresentation + [trust]
    }

    /// A peer's identity as its handshake proved it.
    public struct Proven: Sendable, Hashable {
        public let node: NodeID
        public let trust: NodeTrust

        public init(node: NodeID, trust: NodeTrust) {
            self.node = node
            self.trust = trust
        }
    }

    /// Checks a peer's payload against the static key the Noise handshake authenticated, and
    /// returns the node it proves and the trust it states.
    public static func verify(payload: [UInt8], remoteStatic: X25519.PublicKey) throws(HandshakeError) -> Proven {
        let proof: WireHandshakePayload
        do {
            proof = try WireHandshakePayload(serializedBytes: payload)
        } catch {
            throw HandshakeError(.badIdentityPayload, "the handshake payload is not a HandshakePayload: \(error)")
        }
        guard proof.identityKey.count == Ed25519.publicKeyLength,
            proof.identitySignature.count == Ed25519.signatureLength,
            let key = try? Ed25519.PublicKey(rawRepresentation: Array(proof.identityKey))
        else {
            throw HandshakeError(.badIdentityPayload, "the handshake payload lacks a 32-byte identity key and a 64-byte signature")
        }
        guard let trust = NodeTrust(rawValue: UInt8(clamping: proof.trust.rawValue)) else {
            throw HandshakeError(.badIdentityPayload, "the handshake payload states no known trust (\(proof.trust.rawValue)); 1 to 3")
        }
        guard key.isValidSignature(Array(proof.identitySignature), for: signingInput(remoteStatic, trust: trust.rawValue)) else {
            throw HandshakeError(
                .identityMismatch,
                "\(NodeID(publicKey: key).short) did not sign the Noise static key it used: refusing the peer")
        }
        return Proven(node: NodeID(publicKey: key), trust: trust)
    }
}

/// Why a handshake was refused.
public typealias HandshakeError = CodedError<HandshakeErrorDomain>

public enum HandshakeErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { "handshake \(code): \(context)" }
}

extension CodedError.Code where Domain == HandshakeErrorDomain {
    /// The Noise layer refused a message (wrong network, tampering, out of order, ...).
    public static var noise: Self { Self("noise") }
    /// The peer's payload is missing or not a HandshakePayload.
    public static var badIdentityPayload: Self { Self("badIdentityPayload") }
    /// The identity signature does not cover the Noise static key the peer used.
    public static var identityMismatch: Self { Self("identityMismatch") }
    /// The peer's identity is this node's own: it dialled itself.
    public static var selfConnection: Self { Self("selfConnection") }
    /// The initiator dialled a particular node and another one answered.
    public static var unexpectedPeer: Self { Self("unexpectedPeer") }
    /// The peer closed the connection mid-handshake: typically it is of another network or
    /// refused our identity; its side of the story is in its own log.
    public static var closedByPeer: Self { Self("closedByPeer") }
    /// The handshake did not finish in time.
    public static var timedOut: Self { Self("timedOut") }
}
