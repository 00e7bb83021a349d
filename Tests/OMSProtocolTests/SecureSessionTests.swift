import Foundation
import OMSCrypto
import Testing

@testable import OMSProtocol

/// `SecureSession` (protocol-spec/README.md section 4): frames sealed on one side of a real
/// handshake open on the other, whatever their size, and a peer's bad bytes end or flag the
/// session as the spec says.
struct SecureSessionTests {
    static func hello() -> WireFrame {
        WireFrame.with {
            $0.hello = WireHello.with {
                $0.agent = "oms-test/1"
                $0.listenAddress = "127.0.0.1:7400"
                $0.sentAtUnixMs = 1_700_000_000_000
            }
        }
    }

    static func ping(_ nonce: UInt64, requestID: UInt64 = 0) -> WireFrame {
        WireFrame.with {
            $0.requestID = requestID
            $0.ping = WirePing.with { $0.nonce = nonce }
        }
    }

    /// A note whose envelope is `count` bytes of a repeating pattern.
    static func note(envelopeBytes count: Int) -> WireFrame {
        WireFrame.with {
            $0.note = WireSignedNote.with {
                $0.envelope = Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            }
        }
    }

    /// A session fed by a raw Noise transport, so a test can put any bytes into its stream.
    static func rawSender(maximumFrameLength: Int = SecureSession.defaultMaximumFrameLength) throws
        -> (sender: NoiseTransport, session: SecureSession)
    {
        let prologue = NetworkID.main.prologue
        var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: prologue)
        var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: prologue)
        _ = try responder.readMessage(initiator.writeMessage(payload: []))
        _ = try initiator.readMessage(responder.writeMessage(payload: []))
        _ = try responder.readMessage(initiator.writeMessage(payload: []))
        let session = SecureSession(
            transport: try responder.split(),
            remote: HandshakeIdentity.Proven(node: HandshakeIdentity(identity: Ed25519.PrivateKey(), trust: .keyFile).nodeID, trust: .keyFile),
            maximumFrameLength: maximumFrameLength)
        return (try initiator.split(), session)
    }

    /// The frame stream encoding: a 4-byte big-endian length, then the bytes.
    static func framed(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
    }

    /// Opens every message in order and returns the decoded frames, failing on a malformed one.
    static func openAll(_ messages: [[UInt8]], into session: inout SecureSession) throws -> [WireFrame] {
        var frames: [WireFrame] = []
        for message in messages {
            for inbound in try session.open(message) {
                frames.append(try #require(inbound.frame, "\(inbound)"))
            }
        }
        return frames
    }

    // MARK: - Round trips

    @Test func framesRoundTripBothWays() throws {
        var pair = try NodeHandshakeTests.establish()
        let outbound = [Self.hello(), Self.ping(42, requestID: 7), Self.note(envelopeBytes: 100)]
        let sealed = try pair.initiator.seal(outbound)
        #expect(sealed.count == 1)
        #expect(try Self.openAll(sealed, into: &pair.responder) == outbound)

        let reply = [Self.hello(), WireFrame.with { $0.pong = WirePong.with { $0.nonce = 42 } }]
        #expect(try Self.openAll(pair.responder.seal(reply), into: &pair.initiator) == reply)
    }

    @Test func frameLargerThanOneNoiseMessageSpansSeveral() throws {
        var pair = try NodeHandshakeTests.establish()
        let big = Self.note(envelopeBytes: 200_000)
        let frameLength = (try big.serializedBytes() as [UInt8]).count
        let sealed = try pair.initiator.seal([big])

        let streamLength = 4 + frameLength
        let expectedMessages = (streamLength + FrameWriter.maximumChunkLength - 1) / FrameWriter.maximumChunkLength
        #expect(sealed.count == expectedMessages)
        #expect(sealed.count == 4)
        #expect(sealed.allSatisfy { $0.count <= NoiseTransport.maxMessageLength })
        #expect(sealed.dropLast().allSatisfy { $0.count == NoiseTransport.maxMessageLength }, "senders fill messages")

        for message in sealed.dropLast() {
            #expect(try pair.responder.open(message).isEmpty, "no frame until its last byte arrives")
        }
        let last = try pair.responder.open(sealed.last!)
        #expect(last.count == 1)
        #expect(last.first?.frame == big)
    }

    @Test func manySmallFramesShareOneNoiseMessage() throws {
        var pair = try NodeHandshakeTests.establish()
        let pings = (0..<500).map { Self.ping(UInt64($0)) }
        let sealed = try pair.initiator.seal(pings)
        #expect(sealed.count == 1)
        let opened = try pair.responder.open(sealed[0])
        #expect(opened.compactMap(\.frame) == pings)
    }

    @Test func emptyFrameRoundTrips() throws {
        var pair = try NodeHandshakeTests.establish()
        let frames = try Self.openAll(pair.initiator.seal([WireFrame()]), into: &pair.responder)
        #expect(frames == [WireFrame()])
        #expect(frames.first?.body == nil)
    }

    @Test func sealOfNoFramesSendsNothing() throws {
        var pair = try NodeHandshakeTests.establish()
        #expect(try pair.initiator.seal([]).isEmpty)
    }

    // MARK: - Bad input

    @Test func tamperedMessageIsANoiseError() throws {
        var pair = try NodeHandshakeTests.establish()
        let sealed = try pair.initiator.seal([Self.ping(1)])
        var tampered = sealed[0]
        tampered[tampered.count / 2] ^= 0x80
        let error = #expect(throws: NoiseError.self) { _ = try pair.responder.open(tampered) }
        #expect(error?.code == .decryptFailed)
    }

    @Test func replayedMessageIsANoiseError() throws {
        var pair = try NodeHandshakeTests.establish()
        let sealed = try pair.initiator.seal([Self.ping(1)])
        _ = try pair.responder.open(sealed[0])
        #expect(throws: NoiseError.self) { _ = try pair.responder.open(sealed[0]) }
    }

    @Test func frameOverTheReceiversLimitIsRefusedOnOpen() throws {
        var pair = try NodeHandshakeTests.establish(responderMaximumFrameLength: 1024)
        #expect(pair.responder.maximumFrameLength == 1024)
        let sealed = try pair.initiator.seal([Self.note(envelopeBytes: 2_000)])
        let error = #expect(throws: FramingError.self) { _ = try pair.responder.open(sealed[0]) }
        #expect(error?.code == .frameTooLarge)
    }

    @Test func frameAtTheReceiversLimitIsAccepted() throws {
        var pair = try NodeHandshakeTests.establish(responderMaximumFrameLength: 1024)
        let atLimit = Self.note(envelopeBytes: 1_018)
        try #require((try atLimit.serializedBytes() as [UInt8]).count == 1024)
        #expect(try Self.openAll(pair.initiator.seal([atLimit]), into: &pair.responder) == [atLimit])
    }

    @Test func sealOverTheSendersOwnLimitThrowsAndSendsNothing() throws {
        var pair = try NodeHandshakeTests.establish(responderMaximumFrameLength: 1024)
        let error = #expect(throws: FramingError.self) {
            _ = try pair.responder.seal([Self.ping(1), Self.note(envelopeBytes: 1_019)])
        }
        #expect(error?.code == .frameTooLarge)
        // Nothing was encrypted, so the nonces still agree and the session goes on.
        #expect(try Self.openAll(pair.responder.seal([Self.ping(2)]), into: &pair.initiator) == [Self.ping(2)])
    }

    @Test func bytesThatAreNotAFrameComeOutMalformed() throws {
        var (sender, session) = try Self.rawSender()
        let garbage = [UInt8](repeating: 0xFF, count: 8)
        let stream = Self.framed(garbage) + Self.framed(try Self.ping(9).serializedBytes())
        let opened = try session.open(sender.encrypt(stream))
        #expect(opened.count == 2)
        guard case .malformed = opened.first else {
            Issue.record("expected .malformed, got \(String(describing: opened.first))")
            return
        }
        #expect(opened.last?.frame == Self.ping(9), "a malformed frame does not desynchronise the stream")
    }

    @Test func unknownFrameKindDecodesWithoutABody() throws {
        var (sender, session) = try Self.rawSender()
        // Field 99, length-delimited, empty: a frame kind from a newer peer.
        let unknown: [UInt8] = [0x9A, 0x06, 0x00]
        let opened = try session.open(sender.encrypt(Self.framed([0x08, 0x05] + unknown)))
        let frame = try #require(opened.first?.frame)
        #expect(frame.body == nil)
        #expect(frame.requestID == 5, "the request id survives so the receiver can answer UNKNOWN_FRAME")
    }

    @Test func lengthPrefixOverTheLimitIsRefusedBeforeTheBodyArrives() throws {
        var (sender, session) = try Self.rawSender(maximumFrameLength: 1024)
        // Only the prefix: the session must refuse without waiting for 1025 bytes.
        let error = #expect(throws: FramingError.self) { _ = try session.open(sender.encrypt([0, 0, 4, 1])) }
        #expect(error?.code == .frameTooLarge)
    }
}

extension SecureSession.Inbound {
    /// The decoded frame; nil for `.malformed`.
    var frame: WireFrame? {
        if case .frame(let frame) = self { frame } else { nil }
    }
}
