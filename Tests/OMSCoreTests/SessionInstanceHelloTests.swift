import OMSCore
import OMSProtocol
import Testing

/// The Hello exchange: Hello first, exactly once.
@Suite struct SessionInstanceHelloTests {
    let t0 = ContinuousClock.now

    @Test func firstFrameOtherThanHelloIsAProtocolViolation() throws {
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        let directives = session.onFrame(SessionFixtures.ping(nonce: 1), now: t0 + .milliseconds(5))
        try #require(directives.count == 1)
        let closing = try #require(directives[0].closing)
        #expect(closing.reason == .protocolViolation)
        #expect(closing.farewell?.errorCode == .protocolViolation)
        #expect(!session.isEstablished)
    }

    @Test func helloEstablishesWithParsedListenAddress() throws {
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        let directives = session.onFrame(
            SessionFixtures.hello(agent: "oms/0.1", listenAddress: "[::1]:7401"), now: t0 + .milliseconds(1))
        try #require(directives.count == 1)
        guard case .established(let hello) = directives[0] else {
            Issue.record("expected established, got \(directives[0])")
            return
        }
        #expect(hello.agent == "oms/0.1")
        #expect(hello.listenAddress == (try Endpoint(host: "::1", port: 7401)))
        #expect(session.isEstablished)
        #expect(session.peerHello == hello)
    }

    @Test(arguments: ["not an address", "host-without-port", "1.2.3.4:99999", "[::1]7400", ""])
    func unusableListenAddressIsNilNotAFailure(listenAddress: String) throws {
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        let directives = session.onFrame(SessionFixtures.hello(listenAddress: listenAddress), now: t0)
        try #require(directives.count == 1)
        guard case .established(let hello) = directives[0] else {
            Issue.record("expected established, got \(directives[0])")
            return
        }
        #expect(hello.agent == "oms-test/1")
        #expect(hello.listenAddress == nil)
        #expect(session.isEstablished)
    }

    @Test func longAgentIsCutTo64Characters() {
        var session = SessionInstance(peer: SessionFixtures.randomNodeID(), settings: .init(), now: t0)
        _ = session.onFrame(SessionFixtures.hello(agent: String(repeating: "a", count: 500)), now: t0)
        #expect(session.peerHello?.agent == String(repeating: "a", count: 64))
    }

    @Test func secondHelloClosesTheSession() throws {
        var session = SessionFixtures.established(now: t0)
        let directives = session.onFrame(SessionFixtures.hello(), now: t0 + .seconds(1))
        try #require(directives.count == 1)
        let closing = try #require(directives[0].closing)
        #expect(closing.reason == .protocolViolation)
        #expect(closing.farewell?.errorCode == .protocolViolation)
        #expect(session.onFrame(SessionFixtures.ping(nonce: 3), now: t0 + .seconds(2)).isEmpty)
    }
}
