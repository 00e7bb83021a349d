import OMSTestKit
import Foundation
import OMSProtocol
import Testing

/// `protocol-spec/vectors/frames.json`: SwiftProtobuf encodes and decodes session frames exactly as
/// the hand-written Python protobuf encoder does, and the length-prefixed stream matches.
struct FrameVectorTests {
    struct File: Decodable {
        let cases: [Case]
        let stream: String
        let unknown: [Unknown]
        let malformed: [Malformed]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let frame: Expected
        let bytes: String
        let stream: String
        var testDescription: String { name }
    }

    struct Expected: Decodable {
        let requestId: String
        let body: String?
        let hello: Hello?
        let ping: Nonce?
        let pong: Nonce?
        let error: ErrorBody?
        let peers: Peers?
        let note: Note?
    }

    struct Hello: Decodable {
        let agent: String
        let listenAddress: String
        let sentAtUnixMs: String
    }

    struct Nonce: Decodable { let nonce: String }

    struct ErrorBody: Decodable {
        let code: Int
        let message: String
    }

    struct Peers: Decodable {
        struct Peer: Decodable {
            let identityKey: String
            let address: String
        }
        let peers: [Peer]
    }

    struct Note: Decodable { let envelope: String }

    struct Unknown: Decodable, CustomTestStringConvertible {
        let name: String
        let bytes: String
        let requestId: String
        var testDescription: String { name }
    }

    struct Malformed: Decodable, CustomTestStringConvertible {
        let name: String
        let bytes: String
        var testDescription: String { name }
    }

    struct VectorError: Error, CustomStringConvertible { let description: String }

    static let file: File = try! ProtocolVectors.load("frames.json")

    /// The `WireFrame` a case describes, built field by field from the JSON.
    static func wireFrame(_ expected: Expected) throws -> WireFrame {
        func uint64(_ text: String) throws -> UInt64 {
            guard let value = UInt64(text) else { throw VectorError(description: "'\(text)' is not a uint64") }
            return value
        }
        var frame = WireFrame()
        frame.requestID = try uint64(expected.requestId)
        switch expected.body {
        case nil:
            break
        case "hello":
            let h = try #require(expected.hello)
            var hello = WireHello()
            hello.agent = h.agent
            hello.listenAddress = h.listenAddress
            hello.sentAtUnixMs = try uint64(h.sentAtUnixMs)
            frame.hello = hello
        case "ping":
            var ping = WirePing()
            ping.nonce = try uint64(try #require(expected.ping).nonce)
            frame.ping = ping
        case "pong":
            var pong = WirePong()
            pong.nonce = try uint64(try #require(expected.pong).nonce)
            frame.pong = pong
        case "error":
            let e = try #require(expected.error)
            var error = WireError()
            error.code = try #require(WireErrorCode(rawValue: e.code))
            error.message = e.message
            frame.error = error
        case "peers":
            var list = WirePeerList()
            list.peers = try #require(expected.peers).peers.map {
                var peer = WirePeerAddress()
                peer.identityKey = Data([UInt8](hex: $0.identityKey))
                peer.address = $0.address
                return peer
            }
            frame.peers = list
        case "note":
            var note = WireSignedNote()
            note.envelope = Data([UInt8](hex: try #require(expected.note).envelope))
            frame.note = note
        case let other?:
            throw VectorError(description: "unknown body '\(other)'")
        }
        return frame
    }

    @Test func everyBodyKindIsCovered() {
        let bodies = Set(Self.file.cases.map { $0.frame.body ?? "none" })
        #expect(bodies == ["hello", "ping", "pong", "error", "peers", "note", "none"])
    }

    @Test(arguments: file.cases)
    func encodingGivesTheVectorBytes(_ c: Case) throws {
        let frame = try Self.wireFrame(c.frame)
        let encoded: [UInt8] = try frame.serializedBytes()
        #expect(encoded.hex == c.bytes)
    }

    @Test(arguments: file.cases)
    func decodingGivesTheVectorFrame(_ c: Case) throws {
        let decoded = try WireFrame(serializedBytes: [UInt8](hex: c.bytes))
        #expect(decoded == (try Self.wireFrame(c.frame)))
        #expect(decoded.unknownFields.data.isEmpty)
    }

    @Test(arguments: file.cases)
    func streamFormIsTheLengthPrefix(_ c: Case) {
        let bytes = [UInt8](hex: c.bytes)
        let count = UInt32(bytes.count)
        let prefix = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: count >> $0) }
        #expect((prefix + bytes).hex == c.stream)
        #expect(FrameWriter.chunks([bytes]).flatMap { $0 }.hex == c.stream)
    }

    @Test func wholeStreamIsEveryCaseInOrder() throws {
        let frames = Self.file.cases.map { [UInt8](hex: $0.bytes) }
        #expect(FrameWriter.chunks(frames).flatMap { $0 }.hex == Self.file.stream)
        var assembler = FrameAssembler(maximumFrameLength: 4 << 20)
        #expect(try assembler.append([UInt8](hex: Self.file.stream)) == frames)
        #expect(assembler.bufferedByteCount == 0)
    }

    @Test(arguments: file.unknown)
    func unknownBodiesDecodeWithNoBody(_ u: Unknown) throws {
        let decoded = try WireFrame(serializedBytes: [UInt8](hex: u.bytes))
        #expect(decoded.body == nil)
        #expect(decoded.requestID == UInt64(u.requestId))
        #expect(!decoded.unknownFields.data.isEmpty)
    }

    @Test(arguments: file.malformed)
    func malformedBytesDoNotDecode(_ m: Malformed) {
        #expect(throws: (any Error).self) { try WireFrame(serializedBytes: [UInt8](hex: m.bytes)) }
    }
}
