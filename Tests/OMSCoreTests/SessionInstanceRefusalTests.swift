import OMSCore
import OMSProtocol
import Testing

/// Unknown, malformed and oversized frames, the peer's Error frames, and silence after close.
@Suite struct SessionInstanceRefusalTests {
    let t0 = ContinuousClock.now

    @Test func unknownFrameGetsUnknownFrameErrorAndSessionStaysOpen() throws {
        var session = SessionFixtures.established(now: t0)
        var unknown = WireFrame()
        unknown.requestID = 31
        let directives = session.onFrame(unknown, now: t0)
        try #require(directives.count == 1)
        let reply = try #require(directives[0].sentFrame)
        #expect(reply.errorCode == .unknownFrame)
        #expect(reply.requestID == 31)
        // Still open: a ping is answered.
        #expect(session.onFrame(SessionFixtures.ping(nonce: 5), now: t0).first?.sentFrame?.pong.nonce == 5)
    }

    @Test func moreThanMaximumUnknownFramesCloses() throws {
        let settings = SessionInstance.Settings(maximumUnknownFrames: 3)
        var session = SessionFixtures.established(settings: settings, now: t0)
        for _ in 0..<3 {
            let directives = session.onFrame(WireFrame(), now: t0)
            #expect(directives.count == 1)
            #expect(directives.first?.sentFrame?.errorCode == .unknownFrame)
        }
        let directives = session.onFrame(WireFrame(), now: t0)
        try #require(directives.count == 1)
        let closing = try #require(directives[0].closing)
        #expect(closing.reason == .tooManyUnknownFrames)
        #expect(closing.farewell?.errorCode == .protocolViolation)
    }

    static let fatalCodes: [WireErrorCode] = [
        .malformedFrame, .frameTooLarge, .protocolViolation, .duplicateSession, .shuttingDown, .tooManyConnections,
    ]
    static let nonFatalCodes: [WireErrorCode] = [.unspecified, .unknownFrame, .badSignature, .rateLimited]

    @Test(arguments: fatalCodes)
    func fatalErrorFromPeerCloses(code: WireErrorCode) {
        var session = SessionFixtures.established(now: t0)
        let directives = session.onFrame(SessionFixtures.error(code), now: t0)
        #expect(directives.count == 2)
        if case .peerReportedError(let error, _)? = directives.first { #expect(error.code == code) } else { Issue.record("not reported") }
        #expect(directives.last == .close(reason: .peerError, farewell: nil))
        #expect(session.onFrame(SessionFixtures.ping(nonce: 1), now: t0).isEmpty)
    }

    @Test(arguments: nonFatalCodes)
    func nonFatalErrorFromPeerKeepsSessionOpen(code: WireErrorCode) {
        var session = SessionFixtures.established(now: t0)
        let directives = session.onFrame(SessionFixtures.error(code), now: t0)
        #expect(directives.count == 1)
        if case .peerReportedError(let error, _)? = directives.first { #expect(error.code == code) } else { Issue.record("not reported") }
        #expect(session.onFrame(SessionFixtures.ping(nonce: 1), now: t0).count == 1)
    }

    @Test func malformedFrameClosesWithMalformedFrameFarewell() throws {
        var session = SessionFixtures.established(now: t0)
        let directives = session.onMalformedFrame("truncated varint")
        try #require(directives.count == 1)
        let closing = try #require(directives[0].closing)
        #expect(closing.reason == .malformedFrame)
        #expect(closing.farewell?.errorCode == .malformedFrame)
    }

    @Test func oversizedFrameClosesWithFrameTooLargeFarewell() throws {
        var session = SessionFixtures.established(now: t0)
        let directives = session.onOversizedFrame("length prefix 16777216 over the limit")
        try #require(directives.count == 1)
        let closing = try #require(directives[0].closing)
        #expect(closing.reason == .frameTooLarge)
        #expect(closing.farewell?.errorCode == .frameTooLarge)
    }

    /// Every way in after a close, for every way of closing.
    @Test(arguments: 0..<5)
    func afterCloseFurtherInputYieldsNoDirectives(closeHow: Int) {
        var session = SessionFixtures.established(settings: .init(maximumUnknownFrames: 0), now: t0)
        let closing: [SessionInstance.Directive] =
            switch closeHow {
            case 0: session.onMalformedFrame("x")
            case 1: session.onOversizedFrame("x")
            case 2: session.onFrame(SessionFixtures.hello(), now: t0)
            case 3: session.onFrame(WireFrame(), now: t0)
            default: session.onTick(now: t0 + .seconds(20), nonce: 1)
            }
        #expect(closing.count == 1 && closing.first?.closing != nil)

        let later = t0 + .seconds(1)
        #expect(session.onFrame(SessionFixtures.ping(nonce: 1), now: later).isEmpty)
        #expect(session.onFrame(SessionFixtures.hello(), now: later).isEmpty)
        #expect(session.onFrame(WireFrame(), now: later).isEmpty)
        #expect(session.onFrame(SessionFixtures.error(.shuttingDown), now: later).isEmpty)
        #expect(session.onTick(now: t0 + .seconds(100), nonce: 2).isEmpty)
        #expect(session.onMalformedFrame("y").isEmpty)
        #expect(session.onOversizedFrame("y").isEmpty)
    }
}
