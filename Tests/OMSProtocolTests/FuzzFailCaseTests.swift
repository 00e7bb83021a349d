import Foundation
import OMSCrypto
import OMSTestKit
import Testing

import OMSFuzzTargets
import OMSProtocol

/// Replays the fuzzers' inputs (Fuzz/README.md) through the very functions the fuzzers call
/// (`FuzzTargets`), so a crash a fuzzer once found stays fixed and every seed still decodes
/// without trapping or breaking an invariant, in every CI run and without the fuzzer toolchain.
struct FuzzFailCaseTests {
    enum Fuzzer: String, CaseIterable, CustomTestStringConvertible {
        case envelope = "FuzzEnvelope"
        case frameStream = "FuzzFrameStream"
        case handshakePayload = "FuzzHandshakePayload"
        case identifiers = "FuzzIdentifiers"
        case identityObjects = "FuzzIdentityObjects"

        var testDescription: String { rawValue }

        func replay(_ input: [UInt8]) throws {
            switch self {
            case .envelope: try FuzzTargets.envelope(input)
            case .frameStream: try FuzzTargets.frameStream(input)
            case .handshakePayload: FuzzTargets.handshakePayload(input)
            case .identifiers: try FuzzTargets.identifiers(input)
            case .identityObjects: try FuzzTargets.identityObjects(input)
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
                #expect(throws: Never.self, "\(file.lastPathComponent)") { try fuzzer.replay(Array(try Data(contentsOf: file))) }
                replayed += 1
            }
        }
        #expect(replayed > 0, "no input replayed for \(fuzzer.rawValue)")
    }

    /// The handshake fixture is what makes `FuzzHandshakePayload` reach past the Noise layer: the
    /// vectors' valid payloads must complete the handshake through it.
    @Test func handshakeFixtureAcceptsTheVectorPayloads() throws {
        let fixture = HandshakeFixture.shared
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
