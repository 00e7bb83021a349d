import OMSCrypto
import OMSProtocol

extension FuzzTargets {
    /// The handshake payload (protocol-spec/README.md, "Handshake"): the input goes to
    /// `HandshakeIdentity.verify` directly, then as the payload of a genuine message 2 and
    /// message 3 (so it gets past the Noise encryption), then raw as message 1 to a responder and
    /// as message 2 to an initiator. Every path must return or throw, never trap.
    public static func handshakePayload(_ input: [UInt8]) {
        let fixture = HandshakeFixture.shared
        _ = try? HandshakeIdentity.verify(payload: input, remoteStatic: fixture.responderStatic.publicKey)

        var rawResponder = fixture.rawResponderAfterMessage1
        if let message2 = try? rawResponder.writeMessage(payload: input) {
            var initiator = fixture.initiatorAfterStart
            _ = try? initiator.receive(message2)
        }

        var rawInitiator = fixture.rawInitiatorAfterMessage2
        if let message3 = try? rawInitiator.writeMessage(payload: input) {
            var responder = fixture.responderAfterMessage2
            _ = try? responder.receive(message3)
        }

        var responder = fixture.responder
        _ = try? responder.receive(input)
        var initiator = fixture.initiatorAfterStart
        _ = try? initiator.receive(input)
    }
}

/// Handshakes stopped just before the message a fuzz input plays, built once: the states are
/// values, so each input starts from a fresh copy. Keys are those of
/// protocol-spec/vectors/handshake-identity.json, so its valid payloads verify, and ephemeral
/// keys are fixed so that every run is deterministic.
public struct HandshakeFixture: Sendable {
    public static let shared = HandshakeFixture()

    public let responderStatic = Self.key("5fdabd09dfca265e7076511c5f03334848e3260afb81f66bbdb5dedd0c73187c")
    public let initiatorStatic = Self.key("a06aede4df413eaeaf865ea9cafb6ca1635e8a719cd71175ec6a5eb0cf7d38fd")
    public let responder: NodeHandshake
    public let initiatorAfterStart: NodeHandshake
    public let rawResponderAfterMessage1: NoiseHandshake
    public let responderAfterMessage2: NodeHandshake
    public let rawInitiatorAfterMessage2: NoiseHandshake

    init() {
        let responderIdentity = HandshakeIdentity(
            identity: try! Ed25519.PrivateKey(seed: Self.bytes("8a78b8f37831e9659e90f6f60be42e8278409c58f5099ff6bf476f081d67a0f2")), trust: .tpm,
            staticKey: responderStatic)
        let initiatorIdentity = HandshakeIdentity(
            identity: try! Ed25519.PrivateKey(seed: Self.bytes("6c7d04019e905311edb9e43248c2d9f38f200b354929fad2c50ef418bdac76f6")), trust: .passphrase,
            staticKey: initiatorStatic)
        let responderEphemeral = Self.key(String(repeating: "11", count: 32))
        let initiatorEphemeral = Self.key(String(repeating: "22", count: 32))
        let prologue = NetworkID.main.prologue

        responder = NodeHandshake(
            role: .responder, identity: responderIdentity, network: .main, ephemeralKey: responderEphemeral)
        var initiator = NodeHandshake(
            role: .initiator, identity: initiatorIdentity, network: .main, ephemeralKey: initiatorEphemeral)
        let message1 = try! initiator.start()
        initiatorAfterStart = initiator

        var rawResponder = NoiseHandshake(
            role: .responder, staticKey: responderStatic, prologue: prologue, ephemeralKey: responderEphemeral)
        _ = try! rawResponder.readMessage(message1)
        rawResponderAfterMessage1 = rawResponder

        var rawInitiator = NoiseHandshake(
            role: .initiator, staticKey: initiatorStatic, prologue: prologue, ephemeralKey: initiatorEphemeral)
        var nodeResponder = responder
        guard case .send(let message2) = try! nodeResponder.receive(try! rawInitiator.writeMessage(payload: [])) else {
            preconditionFailure("a responder answers message 1 with message 2")
        }
        _ = try! rawInitiator.readMessage(message2)
        responderAfterMessage2 = nodeResponder
        rawInitiatorAfterMessage2 = rawInitiator
    }

    static func key(_ hex: String) -> X25519.PrivateKey { try! X25519.PrivateKey(rawRepresentation: bytes(hex)) }

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8).map { $0 <= 57 ? $0 - 48 : $0 - 87 }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
