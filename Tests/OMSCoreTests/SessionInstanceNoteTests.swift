import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// Signed notes: verified before they reach the shell.
@Suite struct SessionInstanceNoteTests {
    let t0 = ContinuousClock.now

    static func noteFrame(_ bytes: [UInt8], requestID: UInt64 = 0) -> WireFrame {
        var frame = WireFrame()
        frame.requestID = requestID
        frame.note = .with { $0.envelope = Data(bytes) }
        return frame
    }

    @Test func validEnvelopeIsReceived() {
        var session = SessionFixtures.established(now: t0)
        let envelope = Envelope.sign(type: .note, payload: Array("hello, peer".utf8), with: Ed25519.PrivateKey())
        #expect(session.onFrame(Self.noteFrame(envelope.bytes), now: t0) == [.receivedNote(envelope)])
    }

    @Test func tamperedEnvelopeGetsBadSignatureAndSessionStaysOpen() throws {
        var session = SessionFixtures.established(now: t0)
        var bytes = Envelope.sign(type: .note, payload: Array("hello, peer".utf8), with: Ed25519.PrivateKey()).bytes
        bytes[bytes.count - 1] ^= 0x01
        let directives = session.onFrame(Self.noteFrame(bytes, requestID: 12), now: t0)
        try #require(directives.count == 1)
        let reply = try #require(directives[0].sentFrame)
        #expect(reply.errorCode == .badSignature)
        #expect(reply.requestID == 12)
        #expect(session.onFrame(SessionFixtures.ping(nonce: 1), now: t0).count == 1)
    }

    @Test func envelopeOfAnotherTypeOrGarbageIsRefused() throws {
        var session = SessionFixtures.established(now: t0)
        let other = Envelope.sign(type: try EnvelopeType("oms/other"), payload: [1, 2, 3], with: Ed25519.PrivateKey())
        for bytes in [other.bytes, [], Array("OMSE".utf8) + [1]] {
            let directives = session.onFrame(Self.noteFrame(bytes), now: t0)
            #expect(directives.count == 1)
            #expect(directives.first?.sentFrame?.errorCode == .badSignature)
        }
    }
}

/// Queries and their responses: the session hands the bytes and the request id to the node,
/// which checks them (`QueryVerifier`, `AnswerCheck`); nothing is refused as unknown any more.
@Suite struct SessionInstanceQueryTests {
    let t0 = ContinuousClock.now

    @Test func queriesAndResponsesReachTheNodeWithTheirRequestIDs() {
        var session = SessionFixtures.established(now: t0)
        var query = WireFrame()
        query.requestID = 41
        query.query = .with { $0.envelope = Data([1, 2, 3]) }
        #expect(session.onFrame(query, now: t0) == [.receivedQuery(requestID: 41, envelope: [1, 2, 3])])
        var answer = WireFrame()
        answer.requestID = 7
        answer.answer = .with { $0.envelope = Data([9]) }
        #expect(session.onFrame(answer, now: t0) == [.receivedAnswer(requestID: 7, envelope: [9])])
    }

    @Test func queriesBeforeHelloAreAProtocolViolation() {
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        var query = WireFrame()
        query.requestID = 1
        query.query = .with { $0.envelope = Data([1]) }
        let directives = session.onFrame(query, now: t0)
        #expect(directives.contains { if case .close(.protocolViolation, _) = $0 { true } else { false } })
    }
}
