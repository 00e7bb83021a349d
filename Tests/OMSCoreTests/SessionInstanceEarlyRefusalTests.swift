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
        #expect(directives.count == 1)
        #expect(directives.first?.closing?.reason == .peerError)
        #expect(directives.first?.closing?.farewell == nil)
    }

    @Test func nonFatalErrorBeforeHelloIsIgnoredAndHelloStillEstablishes() {
        let t0 = ContinuousClock.now
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        #expect(session.onFrame(SessionFixtures.error(.badSignature), now: t0).isEmpty)
        _ = session.onFrame(SessionFixtures.hello(), now: t0)
        #expect(session.isEstablished)
    }
}
