import Foundation
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// The peer table: add, list, remove, sources and connection history.
@Suite struct PeerStoreTests {
    static func nodeID() -> NodeID { NodeID(publicKey: Ed25519.PrivateKey().publicKey) }

    @Test func addListRemove() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        #expect(try store.peers().isEmpty)

        let first = try Endpoint(parsing: "10.0.0.2:7400")
        let second = try Endpoint(parsing: "[::1]:7401")
        #expect(try store.addPeer(first, source: .configured))
        #expect(try store.addPeer(second, source: .learned))
        let listed = try store.peers()
        #expect(Set(listed.map(\.endpoint)) == [first, second])
        #expect(listed.first { $0.endpoint == first }?.source == .configured)
        #expect(listed.first { $0.endpoint == second }?.source == .learned)
        #expect(listed.allSatisfy { $0.nodeID == nil && $0.lastConnectedAt == nil })

        #expect(try store.removePeer(first))
        #expect(try !store.removePeer(first))
        #expect(try store.peers().map(\.endpoint) == [second])

        // It survives a reopen.
        let reopened = try NodeStore(directory: scratch.data)
        #expect(try reopened.peers().map(\.endpoint) == [second])
    }

    @Test func addingTwiceKeepsOneRow() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let endpoint = try Endpoint(parsing: "peer.example:7400")
        #expect(try store.addPeer(endpoint, source: .configured))
        let addedAt = try #require(try store.peers().first?.addedAt)
        #expect(try !store.addPeer(endpoint, source: .configured))
        let peers = try store.peers()
        #expect(peers.count == 1)
        #expect(peers.first?.addedAt == addedAt)
    }

    @Test func learnedThenConfiguredUpgradesTheSource() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let endpoint = try Endpoint(parsing: "10.0.0.3:7400")
        let id = Self.nodeID()
        #expect(try store.addPeer(endpoint, source: .learned, nodeID: id))
        #expect(try !store.addPeer(endpoint, source: .configured))
        let peer = try #require(try store.peers().first)
        #expect(peer.source == .configured)
        #expect(peer.nodeID == id)
    }

    @Test func configuredIsNotDowngradedByLearning() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let endpoint = try Endpoint(parsing: "10.0.0.4:7400")
        try store.addPeer(endpoint, source: .configured)
        try store.addPeer(endpoint, source: .learned)
        #expect(try store.peers().map(\.source) == [.configured])
    }

    @Test func recordConnectedStoresNodeIDAndDate() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let endpoint = try Endpoint(parsing: "10.0.0.5:7400")
        try store.addPeer(endpoint, source: .configured)
        let id = Self.nodeID()
        let when = Date(timeIntervalSince1970: 1_750_000_000.25)
        try store.recordConnected(endpoint, nodeID: id, at: when)

        let peer = try #require(try NodeStore(directory: scratch.data).peers().first)
        #expect(peer.nodeID == id)
        let connected = try #require(peer.lastConnectedAt)
        #expect(abs(connected.timeIntervalSince(when)) < 0.001)
    }

    @Test func recordConnectedForUnknownAddressAddsNothing() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        try store.recordConnected(try Endpoint(parsing: "10.0.0.6:7400"), nodeID: Self.nodeID())
        #expect(try store.peers().isEmpty)
    }
}
