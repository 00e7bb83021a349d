import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// PeerList frames: what is learned and what is skipped.
@Suite struct SessionInstancePeerExchangeTests {
    let t0 = ContinuousClock.now

    static func peerList(_ entries: [(key: [UInt8], address: String)]) -> WireFrame {
        var frame = WireFrame()
        frame.peers = .with { list in
            list.peers = entries.map { entry in
                .with {
                    $0.identityKey = Data(entry.key)
                    $0.address = entry.address
                }
            }
        }
        return frame
    }

    @Test func learnsValidPeersSkippingSelfBadKeysAndBadAddresses() throws {
        let peer = SessionFixtures.randomNodeID()
        let a = SessionFixtures.randomNodeID()
        let b = SessionFixtures.randomNodeID()
        var session = SessionFixtures.established(peer: peer, now: t0)
        let frame = Self.peerList([
            (a.bytes, "10.0.0.1:7400"),
            (peer.bytes, "10.0.0.2:7400"),  // the sender itself
            (Array(a.bytes.prefix(31)), "10.0.0.3:7400"),  // short key
            ([], "10.0.0.4:7400"),  // no key
            (b.bytes, "not an address"),
            (b.bytes, "10.0.0.5:70000"),
            (b.bytes, "[::1]:7405"),
        ])
        let directives = session.onFrame(frame, now: t0)
        try #require(directives.count == 1)
        guard case .learnedPeers(let adverts) = directives[0] else {
            Issue.record("expected learnedPeers, got \(directives[0])")
            return
        }
        #expect(adverts.map(\.nodeID) == [a, b])
        #expect(
            adverts.map(\.endpoint) == [
                try Endpoint(host: "10.0.0.1", port: 7400), try Endpoint(host: "::1", port: 7405),
            ])
    }

    @Test func listWithNothingUsableYieldsNoDirective() {
        let peer = SessionFixtures.randomNodeID()
        var session = SessionFixtures.established(peer: peer, now: t0)
        #expect(session.onFrame(Self.peerList([]), now: t0).isEmpty)
        #expect(session.onFrame(Self.peerList([(peer.bytes, "10.0.0.2:7400")]), now: t0).isEmpty)
    }

    @Test func atMost64PeersAreTakenFromOneList() throws {
        var session = SessionFixtures.established(now: t0)
        let ids = (0..<100).map { _ in SessionFixtures.randomNodeID() }
        let frame = Self.peerList(ids.enumerated().map { ($1.bytes, "10.0.1.\($0):7400") })
        let directives = session.onFrame(frame, now: t0)
        try #require(directives.count == 1)
        guard case .learnedPeers(let adverts) = directives[0] else {
            Issue.record("expected learnedPeers, got \(directives[0])")
            return
        }
        #expect(adverts.count == 64)
        #expect(adverts.map(\.nodeID) == Array(ids.prefix(64)))
    }
}
