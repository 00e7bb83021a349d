import Foundation
import OMSCrypto
import OMSTestKit
import Testing

@testable import OMSProtocol

/// Replays the fuzzers' inputs (Fuzz/README.md) through the same decoders and checks, so a crash
/// a fuzzer once found stays fixed and every seed still decodes without trapping, in every CI run
/// and without the fuzzer toolchain. Each replay below mirrors `Fuzz/Sources/<Fuzzer>/<Fuzzer>.swift`;
/// a change to one belongs in the other.
struct FuzzFailCaseTests {
    enum Fuzzer: String, CaseIterable, CustomTestStringConvertible {
        case envelope = "FuzzEnvelope"
        case frameStream = "FuzzFrameStream"
        case handshakePayload = "FuzzHandshakePayload"
        case identifiers = "FuzzIdentifiers"

        var testDescription: String { rawValue }

        func replay(_ input: [UInt8]) {
            switch self {
            case .envelope: FuzzReplay.envelope(input)
            case .frameStream: FuzzReplay.frameStream(input)
            case .handshakePayload: FuzzReplay.handshakePayload(input)
            case .identifiers: FuzzReplay.identifiers(input)
            }
        }
    }

    /// `Fuzz/FailCases/<Fuzzer>/` (crashes found, minimised) and `Fuzz/Corpus/<Fuzzer>/` (seeds).
    static func inputs(of fuzzer: Fuzzer, in folder: String) throws -> [URL] {
        let directory = SharedVectors.projectRoot.appendingPathComponent("Fuzz/\(folder)/\(fuzzer.rawValue)")
        var isDirectory: ObjCBool = false
        try #require(
            FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) && isDirectory.boolValue,
            "\(directory.path) is missing")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: Fuzzer.allCases)
    func failCasesAndSeedsDecodeWithoutTrapping(_ fuzzer: Fuzzer) throws {
        var replayed = 0
        for folder in ["FailCases", "Corpus"] {
            for file in try Self.inputs(of: fuzzer, in: folder) {
                fuzzer.replay(Array(try Data(contentsOf: file)))
                replayed += 1
            }
        }
        #expect(replayed > 0, "no input replayed for \(fuzzer.rawValue)")
    }

    /// The handshake fixture is what makes `FuzzHandshakePayload` reach past the Noise layer: the
    /// vectors' valid payloads must complete the handshake through it.
    @Test func handshakeFixtureAcceptsTheVectorPayloads() throws {
        let fixture = ReplayHandshakeFixture.shared
        struct Vectors: Decodable {
            struct Valid: Decodable {
                let name: String
                let handshakePayload: String
            }
            let valid: [Valid]
        }
        let vectors = try ProtocolVectors.load("handshake-identity.json", as: Vectors.self)
        let responderProof = [UInt8](hex: try #require(vectors.valid.first { $0.name == "responder" }).handshakePayload)
        let initiatorProof = [UInt8](hex: try #require(vectors.valid.first { $0.name == "initiator" }).handshakePayload)
        var rawResponder = fixture.rawResponderAfterMessage1
        var initiator = fixture.initiatorAfterStart
        guard case .sendAndEstablish = try initiator.receive(try rawResponder.writeMessage(payload: responderProof))
        else {
            Issue.record("the initiator did not accept the responder's vector payload")
            return
        }
        var rawInitiator = fixture.rawInitiatorAfterMessage2
        var responder = fixture.responderAfterMessage2
        guard case .establish = try responder.receive(try rawInitiator.writeMessage(payload: initiatorProof)) else {
            Issue.record("the responder did not accept the initiator's vector payload")
            return
        }
    }
}

/// The bodies of the fuzzers' `LLVMFuzzerTestOneInput`, with their traps turned into expectations.
enum FuzzReplay {
    static func envelope(_ bytes: [UInt8]) {
        guard let envelope = try? Envelope(decoding: bytes, maximumPayload: 1 << 15) else { return }
        // "OMSE" | version | type_len | type | signer [32] | signature [64] | payload_len u32 | payload
        let typeLength = envelope.type.rawValue.utf8.count
        #expect(envelope.bytes == bytes)
        #expect(bytes.count == 106 + typeLength + envelope.payload.count)
        #expect(Int(bytes[5]) == typeLength)
        #expect(envelope.signer.rawRepresentation.count == Ed25519.publicKeyLength)
        #expect(envelope.signature.count == Ed25519.signatureLength)
        #expect(Array(bytes.suffix(envelope.payload.count)) == envelope.payload)
        _ = try? envelope.verify()
        _ = envelope.id
    }

    static func frameStream(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let sizeCount = Int(first % 8) + 1
        guard input.count >= 1 + 2 * sizeCount else { return }
        var sizes = (0..<sizeCount).map { Int(input[1 + 2 * $0]) << 8 | Int(input[2 + 2 * $0]) }
        let stream = Array(input[(1 + 2 * sizeCount)...])
        if sizes.allSatisfy({ $0 == 0 }) { sizes = [max(stream.count, 1)] }

        let maximumFrameLength = 1 << 16
        var assembler = FrameAssembler(maximumFrameLength: maximumFrameLength)
        var offset = 0
        var delivered = 0
        var turn = 0
        while offset < stream.count {
            let end = min(offset + sizes[turn % sizes.count], stream.count)
            turn += 1
            let frames: [[UInt8]]
            do {
                frames = try assembler.append(Array(stream[offset..<end]))
            } catch {
                break
            }
            offset = end
            for frame in frames {
                #expect(frame.count <= maximumFrameLength)
                delivered += 4 + frame.count
                guard let decoded = try? WireFrame(serializedBytes: frame) else { continue }
                let reencoded: [UInt8]? = try? decoded.serializedBytes()
                #expect(reencoded.flatMap { try? WireFrame(serializedBytes: $0) } == decoded)
            }
            #expect(delivered + assembler.bufferedByteCount == offset)
        }
    }

    static func handshakePayload(_ input: [UInt8]) {
        let fixture = ReplayHandshakeFixture.shared
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

    static func identifiers(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        if let (prefix, bytes) = try? Bech32m.decode(text) {
            #expect(Bech32m.encode(prefix: prefix, bytes: bytes) == text.lowercased())
        }
        identifier(NodeID.self, text)
        identifier(TCFID.self, text)
        identifier(TCCID.self, text)
        identifier(PersonaID.self, text)
        identifier(ObjectID.self, text)
        if let endpoint = try? Endpoint(parsing: text) {
            #expect((try? Endpoint(parsing: endpoint.description)) == endpoint)
        }
        if let network = try? NetworkID(text) {
            #expect(network.prologue.count == 6 + text.utf8.count)
        }
        _ = try? EnvelopeType(text)
    }

    static func identifier<ID: Identifier>(_ type: ID.Type, _ text: String) {
        guard let id = try? ID(parsing: text) else { return }
        #expect(id.bytes.count == ID.byteCount)
        #expect((try? ID(parsing: id.description)) == id)
        _ = id.short
    }
}

/// The handshakes of `HandshakeFixture` in Fuzz/Sources/FuzzHandshakePayload: stopped just before
/// the message the input plays, with the keys of protocol-spec/vectors/handshake-identity.json and
/// fixed ephemeral keys.
struct ReplayHandshakeFixture: Sendable {
    static let shared = ReplayHandshakeFixture()

    let responderStatic = Self.key("5fdabd09dfca265e7076511c5f03334848e3260afb81f66bbdb5dedd0c73187c")
    let initiatorStatic = Self.key("a06aede4df413eaeaf865ea9cafb6ca1635e8a719cd71175ec6a5eb0cf7d38fd")
    let responder: NodeHandshake
    let initiatorAfterStart: NodeHandshake
    let rawResponderAfterMessage1: NoiseHandshake
    let responderAfterMessage2: NodeHandshake
    let rawInitiatorAfterMessage2: NoiseHandshake

    init() {
        let responderIdentity = HandshakeIdentity(
            identity: try! Ed25519.PrivateKey(
                seed: [UInt8](hex: "8a78b8f37831e9659e90f6f60be42e8278409c58f5099ff6bf476f081d67a0f2")),
            staticKey: responderStatic)
        let initiatorIdentity = HandshakeIdentity(
            identity: try! Ed25519.PrivateKey(
                seed: [UInt8](hex: "6c7d04019e905311edb9e43248c2d9f38f200b354929fad2c50ef418bdac76f6")),
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

    static func key(_ hex: String) -> X25519.PrivateKey { try! X25519.PrivateKey(rawRepresentation: [UInt8](hex: hex)) }
}
