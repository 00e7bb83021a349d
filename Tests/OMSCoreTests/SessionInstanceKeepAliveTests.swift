import OMSCore
import OMSProtocol
import Testing

/// Pings, pongs, RTT and the idle time-out, driven by instants built from one `t0`.
@Suite struct SessionInstanceKeepAliveTests {
    let t0 = ContinuousClock.now

    @Test func pingIsAnsweredWithPongOfSameNonceAndRequestID() {
        var session = SessionFixtures.established(now: t0)
        let directives = session.onFrame(SessionFixtures.ping(nonce: 0xDEAD_BEEF, requestID: 77), now: t0)
        var pong = WireFrame()
        pong.requestID = 77
        pong.pong = .with { $0.nonce = 0xDEAD_BEEF }
        #expect(directives == [.send(pong)])
    }

    @Test func pongForOutstandingPingMeasuresExactRTT() throws {
        var session = SessionFixtures.established(now: t0)
        let sentAt = t0 + .seconds(5)
        let pingDirectives = session.onTick(now: sentAt, nonce: 42)
        #expect(pingDirectives == [.send(SessionFixtures.ping(nonce: 42))])

        let answeredAt = sentAt + .milliseconds(37) + .microseconds(5)
        let directives = session.onFrame(SessionFixtures.pong(nonce: 42), now: answeredAt)
        #expect(directives == [.rttMeasured(answeredAt - sentAt)])
        #expect(directives == [.rttMeasured(.milliseconds(37) + .microseconds(5))])
        #expect(session.rtt.latest == answeredAt - sentAt)
        #expect(session.rtt.samples == 1)

        // The same pong again is no longer outstanding.
        #expect(session.onFrame(SessionFixtures.pong(nonce: 42), now: answeredAt + .seconds(1)).isEmpty)
        #expect(session.rtt.samples == 1)
    }

    @Test func pongWithUnknownNonceIsIgnored() {
        var session = SessionFixtures.established(now: t0)
        _ = session.onTick(now: t0 + .seconds(5), nonce: 1)
        #expect(session.onFrame(SessionFixtures.pong(nonce: 2), now: t0 + .seconds(6)).isEmpty)
        #expect(session.rtt.samples == 0)
        #expect(session.rtt.latest == nil)
    }

    @Test func tickSendsPingOnlyWhenDue() {
        let settings = SessionInstance.Settings(pingInterval: .seconds(5), idleTimeout: .seconds(60))
        // Established at t0 + 1 s, but the first ping is due pingInterval after creation.
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: settings, now: t0)
        _ = session.onFrame(SessionFixtures.hello(), now: t0 + .seconds(1))
        #expect(session.nextDeadline == t0 + .seconds(5))

        #expect(session.onTick(now: t0 + .milliseconds(4_999), nonce: 1).isEmpty)
        #expect(session.onTick(now: t0 + .seconds(5), nonce: 2) == [.send(SessionFixtures.ping(nonce: 2))])
        #expect(session.nextDeadline == t0 + .seconds(10))
        #expect(session.onTick(now: t0 + .seconds(6), nonce: 3).isEmpty)
        #expect(session.onTick(now: t0 + .milliseconds(9_999), nonce: 4).isEmpty)
        #expect(session.onTick(now: t0 + .seconds(10), nonce: 5) == [.send(SessionFixtures.ping(nonce: 5))])
    }

    @Test func noPingBeforeEstablished() {
        let settings = SessionInstance.Settings(pingInterval: .seconds(5), idleTimeout: .seconds(60))
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: settings, now: t0)
        #expect(session.onTick(now: t0 + .seconds(5), nonce: 1).isEmpty)
        #expect(session.onTick(now: t0 + .seconds(30), nonce: 2).isEmpty)
        _ = session.onFrame(SessionFixtures.hello(), now: t0 + .seconds(31))
        #expect(session.onTick(now: t0 + .seconds(31), nonce: 3) == [.send(SessionFixtures.ping(nonce: 3))])
    }

    @Test func idleSessionIsClosedAtTheTimeout() {
        let settings = SessionInstance.Settings(pingInterval: .seconds(5), idleTimeout: .seconds(20))
        var session = SessionFixtures.established(settings: settings, now: t0)
        #expect(session.nextDeadline == t0 + .seconds(5))
        // Pings go out but nothing comes back.
        #expect(session.onTick(now: t0 + .seconds(5), nonce: 1).count == 1)
        #expect(session.onTick(now: t0 + .seconds(19), nonce: 2).count == 1)
        #expect(session.nextDeadline == t0 + .seconds(20))
        #expect(session.onTick(now: t0 + .seconds(20), nonce: 3) == [.close(reason: .idleTimeout, farewell: nil)])
        #expect(session.onTick(now: t0 + .seconds(40), nonce: 4).isEmpty)
    }

    @Test func sessionThatNeverSaysHelloTimesOut() {
        let settings = SessionInstance.Settings(pingInterval: .seconds(5), idleTimeout: .seconds(20))
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: settings, now: t0)
        #expect(session.onTick(now: t0 + .seconds(20), nonce: 1) == [.close(reason: .idleTimeout, farewell: nil)])
    }

    @Test func anyReceivedFramePostponesTheIdleTimeout() {
        let settings = SessionInstance.Settings(pingInterval: .seconds(100), idleTimeout: .seconds(20))
        var session = SessionFixtures.established(settings: settings, now: t0)
        _ = session.onFrame(SessionFixtures.ping(nonce: 9), now: t0 + .seconds(15))
        #expect(session.onTick(now: t0 + .seconds(34), nonce: 1).isEmpty)
        #expect(session.nextDeadline == t0 + .seconds(35))
        #expect(session.onTick(now: t0 + .seconds(35), nonce: 2) == [.close(reason: .idleTimeout, farewell: nil)])
    }
}
