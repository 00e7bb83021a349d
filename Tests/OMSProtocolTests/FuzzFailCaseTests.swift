import Foundation
import OMSCrypto
import OMSTestKit
import Testing

import OMSCore
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
        case exchange = "FuzzExchange"
        case ingest = "FuzzIngest"
        case community = "FuzzCommunity"
        case gossip = "FuzzGossip"
        case migration = "FuzzMigration"

        var testDescription: String { rawValue }

        func replay(_ input: [UInt8]) throws {
            switch self {
            case .envelope: try FuzzTargets.envelope(input)
            case .frameStream: try FuzzTargets.frameStream(input)
            case .handshakePayload: FuzzTargets.handshakePayload(input)
            case .identifiers: try FuzzTargets.identifiers(input)
            case .identityObjects: try FuzzTargets.identityObjects(input)
            case .exchange: try FuzzTargets.exchange(input)
            case .ingest: try FuzzTargets.ingest(input)
            case .community: try FuzzTargets.community(input)
            case .gossip: try FuzzTargets.gossip(input)
            case .migration: try FuzzTargets.migration(input)
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

    /// The exchange fixture is what makes `FuzzExchange` reach past the checks of an answer: the
    /// vectors' answers and refusals of its query must be accepted through it, and it must hold
    /// the key of every signer in them, so that re-signing keeps the signer.
    @Test func exchangeFixtureAcceptsTheVectorAnswersAndRefusals() throws {
        struct Vectors: Decodable {
            struct Response: Decodable {
                let query: String
                let envelope: String
            }
            struct Query: Decodable {
                let name: String
                let envelope: String
            }
            let queries: [Query]
            let answers: [Response]
            let refusals: [Response]
        }
        let vectors = try ProtocolVectors.load("queries.json", as: Vectors.self)
        let fixture = ExchangeFixture.shared
        let first = try #require(vectors.queries.first)
        #expect(fixture.query.envelope.bytes == [UInt8](hex: first.envelope))
        let check = AnswerCheck(query: fixture.query, sentTo: fixture.node)
        var accepted = 0
        for response in vectors.answers + vectors.refusals {
            let bytes = [UInt8](hex: response.envelope)
            let signer = try Envelope(decoding: bytes).signer
            #expect(fixture.key(for: signer).publicKey == signer, "the fixture has no key for a signer")
            guard response.query == first.name else { continue }
            #expect(throws: Never.self) { _ = try check.check(bytes) }
            accepted += 1
        }
        #expect(accepted >= 3)
    }

    /// The community fixture is what makes `FuzzCommunity` insert into a real log: it must hold
    /// the first scenario of `protocol-spec/vectors/community.json` as the vectors replay it (same
    /// order, same state hash), at a clock no earlier than its last step, and the key of every
    /// person of the vectors, so that re-signing keeps the author and the authority checks pass.
    @Test func communityFixtureIsTheFirstScenario() throws {
        struct Vectors: Decodable {
            struct Person: Decodable {
                let personaHex: String
            }
            struct Step: Decodable {
                let now: UInt64
            }
            struct Log: Decodable {
                let steps: [Step]
                let order: [String]
                let stateHash: String
            }
            let people: [String: Person]
            let logs: [Log]
        }
        let vectors = try ProtocolVectors.load("community.json", as: Vectors.self)
        let fixture = CommunityFixture.shared
        let first = try #require(vectors.logs.first)
        #expect(fixture.log.order.map(\.bytes.hex) == first.order)
        #expect(fixture.log.state.hash.hex == first.stateHash)
        #expect(fixture.log.void.isEmpty)
        let lastStep = try #require(first.steps.map(\.now).max())
        #expect(CommunityFixture.now >= lastStep)
        #expect(vectors.people.count >= 7)
        for person in vectors.people.values {
            let signer = try Ed25519.PublicKey(rawRepresentation: [UInt8](hex: person.personaHex))
            #expect(fixture.key(for: signer).publicKey == signer, "the fixture has no key for a person")
        }
    }
}
