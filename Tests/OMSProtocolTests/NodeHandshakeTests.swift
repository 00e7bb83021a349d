import OMSTestKit
import OMSCrypto
import Testing

@testable import OMSProtocol

/// `NodeHandshake` and `HandshakeIdentity` (protocol-spec/README.md section 3): an initiator and
/// a responder driven against each other in memory. Misbehaving peers are raw `NoiseHandshake`s
/// that complete the Noise pattern correctly but carry a payload of the test's choosing, as an
/// attacker with their own Noise implementation would.
struct NodeHandshakeTests {
    static let netA = try! NetworkID("net-a")
    static let netB = try! NetworkID("net-b")

    /// A finished handshake: both sessions and the identities they were made from.
    struct Established {
        let initiatorIdentity: HandshakeIdentity
        let responderIdentity: HandshakeIdentity
        var initiator: SecureSession
        var responder: SecureSession
    }

    /// Runs a complete handshake between two fresh identities and checks every step's kind.
    static func establish(
        network: NetworkID = .main,
        initiatorMaximumFrameLength: Int = SecureSession.defaultMaximumFrameLength,
        responderMaximumFrameLength: Int = SecureSession.defaultMaximumFrameLength
    ) throws -> Established {
        let a = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile)
        let b = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile)
        var initiator = NodeHandshake(
            role: .initiator, identity: a, network: network, maximumFrameLength: initiatorMaximumFrameLength)
        var responder = NodeHandshake(
            role: .responder, identity: b, network: network, maximumFrameLength: responderMaximumFrameLength)
        let message1 = try initiator.start()
        let message2 = try #require(try responder.receive(message1).sendOnly)
        let (message3, initiatorSession) = try #require(try initiator.receive(message2).sendAndEstablish)
        let responderSession = try #require(try responder.receive(message3).establishOnly)
        return Established(
            initiatorIdentity: a, responderIdentity: b, initiator: initiatorSession, responder: responderSession)
    }

    /// A raw Noise responder that answers message 1 with `payload` in message 2, signed or not.
    static func rawResponder(
        staticKey: X25519.PrivateKey = X25519.PrivateKey(), network: NetworkID = .main, payload: [UInt8],
        answering message1: [UInt8]
    ) throws -> (noise: NoiseHandshake, message2: [UInt8]) {
        var noise = NoiseHandshake(role: .responder, staticKey: staticKey, prologue: network.prologue)
        #expect(try noise.readMessage(message1).isEmpty)
        let message2 = try noise.writeMessage(payload: payload)
        return (noise, message2)
    }

    /// Runs a `NodeHandshake` initiator against a raw responder sending `payload` in message 2.
    static func initiatorError(
        receivingPayload payload: [UInt8], responderStatic: X25519.PrivateKey = X25519.PrivateKey()
    ) throws -> HandshakeError? {
        var initiator = NodeHandshake(
            role: .initiator, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        let (_, message2) = try rawResponder(staticKey: responderStatic, payload: payload, answering: initiator.start())
        return #expect(throws: HandshakeError.self) { _ = try initiator.receive(message2) }
    }

    /// Runs a raw Noise initiator, sending `payload` in message 3, against a `NodeHandshake`
    /// responder.
    static func responderError(
        receivingPayload payload: [UInt8], initiatorStatic: X25519.PrivateKey = X25519.PrivateKey()
    ) throws -> HandshakeError? {
        var raw = NoiseHandshake(role: .initiator, staticKey: initiatorStatic, prologue: NetworkID.main.prologue)
        let responderIdentity = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile)
        var responder = NodeHandshake(role: .responder, identity: responderIdentity, network: .main)
        let message2 = try #require(try responder.receive(raw.writeMessage(payload: [])).sendOnly)
        // The responder's own proof is fine; the raw side accepts it as a real node would.
        let proof = try raw.readMessage(message2)
        #expect(
            try HandshakeIdentity.verify(payload: proof, remoteStatic: #require(raw.remoteStaticKey))
                == HandshakeIdentity.Proven(node: responderIdentity.nodeID, trust: responderIdentity.trust))
        let message3 = try raw.writeMessage(payload: payload)
        return #expect(throws: HandshakeError.self) { _ = try responder.receive(message3) }
    }

    /// A HandshakePayload with arbitrary field contents.
    static func payload(identityKey: [UInt8], signature: [UInt8]) throws -> [UInt8] {
        try WireHandshakePayload.with {
            $0.identityKey = .init(identityKey)
            $0.identitySignature = .init(signature)
        }.serializedBytes()
    }

    // MARK: - The happy path

    @Test func fullHandshakeEstablishesMatchingSessions() throws {
        let a = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile)
        let b = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile)
        var initiator = NodeHandshake(role: .initiator, identity: a, network: Self.netA)
        var responder = NodeHandshake(role: .responder, identity: b, network: Self.netA)

        let message1 = try initiator.start()
        #expect(message1.count == X25519.keyLength, "message 1 is the bare ephemeral key: its payload is empty")
        let message2 = try #require(try responder.receive(message1).sendOnly)
        let (message3, initiatorSession) = try #require(try initiator.receive(message2).sendAndEstablish)
        let responderSession = try #require(try responder.receive(message3).establishOnly)

        #expect(initiatorSession.remote == b.nodeID)
        #expect(responderSession.remote == a.nodeID)
        #expect(initiatorSession.handshakeHash == responderSession.handshakeHash)
        #expect(initiatorSession.handshakeHash.count == 64)
        #expect(initiatorSession.maximumFrameLength == SecureSession.defaultMaximumFrameLength)
    }

    @Test func twoHandshakesOfTheSamePairHaveDifferentHashes() throws {
        let first = try Self.establish()
        let second = try Self.establish()
        #expect(first.initiator.handshakeHash != second.initiator.handshakeHash)
    }

    @Test func expectedRemoteThatAnswersSucceeds() throws {
        let b = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile)
        var initiator = NodeHandshake(
            role: .initiator, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main,
            expectedRemote: b.nodeID)
        var responder = NodeHandshake(role: .responder, identity: b, network: .main)
        let message2 = try #require(try responder.receive(initiator.start()).sendOnly)
        let (message3, session) = try #require(try initiator.receive(message2).sendAndEstablish)
        #expect(session.remote == b.nodeID)
        #expect(try responder.receive(message3).establishOnly != nil)
    }

    // MARK: - Refusals

    @Test func differentNetworksFailAtMessage2() throws {
        var initiator = NodeHandshake(
            role: .initiator, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: Self.netA)
        var responder = NodeHandshake(
            role: .responder, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: Self.netB)
        // Message 1 is unencrypted, so the responder cannot tell yet.
        let message2 = try #require(try responder.receive(initiator.start()).sendOnly)
        let error = #expect(throws: HandshakeError.self) { _ = try initiator.receive(message2) }
        #expect(error?.code == .noise)
    }

    @Test func responderWhoseProofSignsAnotherStaticKeyIsRefused() throws {
        // The payload is a valid proof for s1, but the responder does Noise with s2.
        let proof = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile, staticKey: X25519.PrivateKey()).payload
        let error = try Self.initiatorError(receivingPayload: proof, responderStatic: X25519.PrivateKey())
        #expect(error?.code == .identityMismatch)
    }

    @Test func initiatorWhoseProofSignsAnotherStaticKeyIsRefusedAtMessage3() throws {
        let proof = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile, staticKey: X25519.PrivateKey()).payload
        let error = try Self.responderError(receivingPayload: proof, initiatorStatic: X25519.PrivateKey())
        #expect(error?.code == .identityMismatch)
    }

    @Test func rawPeersWithHonestProofsAreAccepted() throws {
        // The raw helpers themselves are sound: with a proof for the key they use, both succeed.
        let responderStatic = X25519.PrivateKey()
        let responderIdentity = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile, staticKey: responderStatic)
        var initiator = NodeHandshake(
            role: .initiator, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        let (_, message2) = try Self.rawResponder(
            staticKey: responderStatic, payload: responderIdentity.payload, answering: initiator.start())
        let (_, session) = try #require(try initiator.receive(message2).sendAndEstablish)
        #expect(session.remote == responderIdentity.nodeID)
    }

    static let badPayloads: [(name: String, bytes: [UInt8])] = [
        ("empty", []),
        ("not protobuf", [0xFF, 0xFF, 0xFF]),
        ("length past the end", [0x0A, 0x20, 0x01]),
        (
            "key of 31 bytes",
            try! payload(identityKey: .init(repeating: 7, count: 31), signature: .init(repeating: 1, count: 64))
        ),
        (
            "key of 33 bytes",
            try! payload(identityKey: .init(repeating: 7, count: 33), signature: .init(repeating: 1, count: 64))
        ),
        (
            "signature of 63 bytes",
            try! payload(identityKey: .init(repeating: 7, count: 32), signature: .init(repeating: 1, count: 63))
        ),
        (
            "signature of 65 bytes",
            try! payload(identityKey: .init(repeating: 7, count: 32), signature: .init(repeating: 1, count: 65))
        ),
        ("signature missing", try! payload(identityKey: .init(repeating: 7, count: 32), signature: [])),
    ]

    @Test(arguments: badPayloads.indices)
    func badPayloadInMessage2IsRefused(_ index: Int) throws {
        let error = try Self.initiatorError(receivingPayload: Self.badPayloads[index].bytes)
        #expect(error?.code == .badIdentityPayload, "\(Self.badPayloads[index].name)")
    }

    @Test(arguments: badPayloads.indices)
    func badPayloadInMessage3IsRefused(_ index: Int) throws {
        let error = try Self.responderError(receivingPayload: Self.badPayloads[index].bytes)
        #expect(error?.code == .badIdentityPayload, "\(Self.badPayloads[index].name)")
    }

    @Test func message1WithAPayloadIsRefused() throws {
        var raw = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: NetworkID.main.prologue)
        let message1 = try raw.writeMessage(payload: Array("hello".utf8))
        var responder = NodeHandshake(
            role: .responder, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        let error = #expect(throws: HandshakeError.self) { _ = try responder.receive(message1) }
        #expect(error?.code == .badIdentityPayload)
    }

    @Test func unexpectedPeerIsRefusedBeforeMessage3() throws {
        let someoneElse = HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile).nodeID
        var initiator = NodeHandshake(
            role: .initiator, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main,
            expectedRemote: someoneElse)
        var responder = NodeHandshake(
            role: .responder, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        let message2 = try #require(try responder.receive(initiator.start()).sendOnly)

        var step: NodeHandshake.Step?
        let error = #expect(throws: HandshakeError.self) { step = try initiator.receive(message2) }
        #expect(error?.code == .unexpectedPeer)
        #expect(step == nil, "no message 3 may come out of a refused handshake")
        // Nor can a retry coax message 3 out of it.
        #expect(throws: HandshakeError.self) { step = try initiator.receive(message2) }
        #expect(step == nil)
    }

    @Test func responderCannotStart() {
        var responder = NodeHandshake(
            role: .responder, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        #expect(throws: HandshakeError.self) { _ = try responder.start() }
    }

    @Test func tamperedMessage2IsANoiseError() throws {
        var initiator = NodeHandshake(
            role: .initiator, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        var responder = NodeHandshake(
            role: .responder, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        var message2 = try #require(try responder.receive(initiator.start()).sendOnly)
        message2[message2.count - 1] ^= 0x01
        let error = #expect(throws: HandshakeError.self) { _ = try initiator.receive(message2) }
        #expect(error?.code == .noise)
    }

    // MARK: - Vectors (protocol-spec/vectors/handshake-identity.json)

    @Test(arguments: HandshakeIdentityVectorTests.file.valid)
    func identityPayloadMatchesVector(_ v: HandshakeIdentityVectorTests.Valid) throws {
        let identity = HandshakeIdentity(
            identity: try Ed25519.PrivateKey(seed: [UInt8](hex: v.identitySeed)), trust: try #require(NodeTrust(rawValue: v.trust)),
            staticKey: try X25519.PrivateKey(rawRepresentation: [UInt8](hex: v.noiseStaticPrivateKey)))
        #expect(identity.payload.hex == v.handshakePayload)
        #expect(identity.nodeID.description == v.nodeId)
        #expect(identity.staticKey.publicKey.rawRepresentation.hex == v.noiseStaticPublicKey)
    }

    /// Every invalid payload of the vector file, sent in message 2 by a responder whose Noise
    /// static key is the file's `invalid_static_public_key`, ends the handshake.
    @Test(arguments: HandshakeIdentityVectorTests.file.invalid)
    func invalidVectorPayloadsAreRefusedInAHandshake(_ v: HandshakeIdentityVectorTests.Invalid) throws {
        let responder = try #require(HandshakeIdentityVectorTests.file.valid.first { $0.name == "responder" })
        let staticKey = try X25519.PrivateKey(rawRepresentation: [UInt8](hex: responder.noiseStaticPrivateKey))
        try #require(
            staticKey.publicKey.rawRepresentation.hex == HandshakeIdentityVectorTests.file.invalidStaticPublicKey)

        let error = try Self.initiatorError(
            receivingPayload: [UInt8](hex: v.handshakePayload), responderStatic: staticKey)
        let signatureProblems: Set = [
            "signature over another static key", "signature without the domain tag", "signature with one bit flipped",
            "identity key of another node", "trust other than the one signed", "signature not covering the trust",
        ]
        #expect(error?.code == (signatureProblems.contains(v.name) ? .identityMismatch : .badIdentityPayload))
    }

    @Test func validVectorPayloadIsAcceptedInAHandshake() throws {
        let responder = try #require(HandshakeIdentityVectorTests.file.valid.first { $0.name == "responder" })
        let staticKey = try X25519.PrivateKey(rawRepresentation: [UInt8](hex: responder.noiseStaticPrivateKey))
        var initiator = NodeHandshake(
            role: .initiator, identity: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile), network: .main)
        let (_, message2) = try Self.rawResponder(
            staticKey: staticKey, payload: [UInt8](hex: responder.handshakePayload), answering: initiator.start())
        let (_, session) = try #require(try initiator.receive(message2).sendAndEstablish)
        #expect(session.remote.description == responder.nodeId)
    }
}

extension NodeHandshake.Step {
    /// The message of a `.send` step; nil for the other kinds.
    var sendOnly: [UInt8]? {
        if case .send(let message) = self { message } else { nil }
    }

    var sendAndEstablish: ([UInt8], SecureSession)? {
        if case .sendAndEstablish(let message, let session) = self { (message, session) } else { nil }
    }

    var establishOnly: SecureSession? {
        if case .establish(let session) = self { session } else { nil }
    }
}
