import OMSCore
import OMSProtocol
import Testing

/// A peer may refuse a session (busy, duplicate, shutting down) before it sends Hello.
@Suite struct SessionInstanceEarlyRefusalTests {
    @Test(arguments: [WireErrorCode.tooManyConnections, .duplicateSession, .shuttingDown])
    func fatalErrorBeforeHelloClosesAsPeerErrorWithoutFarewell(code: WireErrorCode) {
        let t0 = ContinuousClock.now
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        let directives = session.onFrame(SessionFixtures.error(code), now: t0)
        #expect(directives.count == 2)
        #expect(directives.last?.closing?.reason == .peerError)
        #expect(directives.last?.closing?.farewell == nil)
    }

    @Test func nonFatalErrorBeforeHelloIsIgnoredAndHelloStillEstablishes() {
        let t0 = ContinuousClock.now
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        #expect(session.onFrame(SessionFixtures.error(.badSignature), now: t0).count == 1)
        _ = session.onFrame(SessionFixtures.hello(), now: t0)
        #expect(session.isEstablished)
    }
}

/// Timer maths before the peer's Hello, and text from peers.
@Suite struct SessionInstanceBeforeHelloTests {
    @Test func beforeHelloTheNextDeadlineIsTheIdleTimeoutNotAPastPing() {
        let t0 = ContinuousClock.now
        let settings = SessionInstance.Settings(pingInterval: .seconds(1), idleTimeout: .seconds(10))
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: settings, now: t0)
        #expect(session.nextDeadline == t0 + .seconds(10))
        // A tick after the ping interval sends nothing and must not leave a deadline in the past.
        #expect(session.onTick(now: t0 + .seconds(2), nonce: 1).isEmpty)
        #expect(session.nextDeadline > t0 + .seconds(2))
    }

    @Test func agentTextIsCutByScalarsAndStrippedOfControls() {
        let t0 = ContinuousClock.now
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        let zalgo = "a" + String(repeating: "\u{0301}", count: 10_000) + "\u{1b}[2J\n"
        _ = session.onFrame(SessionFixtures.hello(agent: zalgo), now: t0)
        let agent = session.peerHello?.agent ?? ""
        #expect(agent.unicodeScalars.count == 64)
        #expect(!agent.unicodeScalars.contains("\u{1b}"))
    }
}
