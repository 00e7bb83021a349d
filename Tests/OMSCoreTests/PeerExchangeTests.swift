import OMSCore
import OMSProtocol
import Testing

@Suite struct PeerExchangeTests {
    private func advert(_ port: Int) -> SessionInstance.PeerAdvert {
        .init(nodeID: SessionFixtures.randomNodeID(), endpoint: try! Endpoint(host: "127.0.0.1", port: port))
    }

    @Test func anIntroductionLeavesOutTheNewcomerAndIsCapped() throws {
        let newcomer = advert(1)
        let others = (2...100).map(advert)
        let frame = try #require(PeerExchange.introduction(to: newcomer.nodeID, of: [newcomer] + others))
        guard case .peers(let list)? = frame.body else { Issue.record("not a PeerList"); return }
        #expect(list.peers.count == PeerExchange.maximumEntries)
        #expect(!list.peers.contains { Array($0.identityKey) == newcomer.nodeID.bytes })
        #expect(list.peers.first?.address == "127.0.0.1:2")
    }

    @Test func nobodyToIntroduceGivesNoFrame() {
        let newcomer = advert(1)
        #expect(PeerExchange.introduction(to: newcomer.nodeID, of: [newcomer]) == nil)
    }

    @Test func anAnnouncementRoundTripsThroughTheSessionInstance() {
        let newcomer = advert(7401)
        let t0 = ContinuousClock.now
        var receiver = SessionFixtures.established(now: t0)
        let directives = receiver.onFrame(PeerExchange.announcement(of: newcomer), now: t0)
        #expect(directives == [.learnedPeers([newcomer])])
    }
}
