import Foundation
@testable import OMSNode
import OMSProtocol
import Testing

extension IntegrationTests {
    /// Real nodes on loopback: authentication, discovery, notes, duplicates, limits.
    @Suite(.timeLimit(.minutes(1))) struct MeshTests {
        @Test func threeNodesFindEachOtherFromOneBootstrapAndExchangeSignedNotes() async throws {
            let a = Node(configuration: NodeHarness.configuration(), store: nil, logger: NodeHarness.quietLogger)
            try await a.bind()
            let bootstrap = [await NodeHarness.address(a)]
            let b = Node(configuration: NodeHarness.configuration(bootstrap: bootstrap), store: nil, logger: NodeHarness.quietLogger)
            let c = Node(configuration: NodeHarness.configuration(bootstrap: bootstrap), store: nil, logger: NodeHarness.quietLogger)
            try await NodeHarness.run([a, b, c]) {
                // b and c know only a; peer exchange must introduce them to each other.
                try await NodeHarness.eventually("full mesh") {
                    let (pa, pb, pc) = (await NodeHarness.peers(of: a), await NodeHarness.peers(of: b), await NodeHarness.peers(of: c))
                    return pa == [b.id, c.id] && pb == [a.id, c.id] && pc == [a.id, b.id]
                }
                // A duplicate session may still be giving way to its twin; send until both take it.
                try await NodeHarness.eventually("note sent to both peers") {
                    Set(await c.sendNote("ride at nine")) == [a.id, b.id]
                }
                try await NodeHarness.eventually("note delivered and verified") {
                    await a.status().recentNotes.contains { $0.from == c.id && $0.text == "ride at nine" }
                }
                // Every session has measured a round trip with pings.
                try await NodeHarness.eventually("RTT measured") {
                    await a.status().sessions.allSatisfy { $0.smoothedRTTMilliseconds != nil }
                }
            }
        }

        @Test func aNodeOfAnotherNetworkIsRefused() async throws {
            let home = Node(configuration: NodeHarness.configuration(), store: nil, logger: NodeHarness.quietLogger)
            try await home.bind()
            let stranger = Node(
                configuration: NodeHarness.configuration(network: try NetworkID("other-net"), bootstrap: [await NodeHarness.address(home)]),
                store: nil, logger: NodeHarness.quietLogger)
            try await NodeHarness.run([home, stranger]) {
                try await NodeHarness.eventually("the stranger's dial fails in the handshake") {
                    await stranger.status().dialing.first.map { $0.failures >= 2 && ($0.lastError ?? "").contains("noise") } ?? false
                }
                #expect(await home.status().sessions.isEmpty)
                #expect(await stranger.status().sessions.isEmpty)
            }
        }

        @Test func simultaneousDialsLeaveOneSessionEachWay() async throws {
            let a = Node(configuration: NodeHarness.configuration(greet: false), store: nil, logger: NodeHarness.quietLogger)
            let b = Node(configuration: NodeHarness.configuration(greet: false), store: nil, logger: NodeHarness.quietLogger)
            try await a.bind()
            try await b.bind()
            try await NodeHarness.run([a, b]) {
                try await a.addPeer(await NodeHarness.address(b))
                try await b.addPeer(await NodeHarness.address(a))
                try await NodeHarness.eventually("connected") {
                    let (pa, pb) = (await NodeHarness.peers(of: a), await NodeHarness.peers(of: b))
                    return pa == [b.id] && pb == [a.id]
                }
                // Let duplicate resolution settle, then both ends agree on the one surviving session.
                try await Task.sleep(for: .milliseconds(600))
                let fromA = await a.status().sessions
                let fromB = await b.status().sessions
                #expect(fromA.count == 1 && fromB.count == 1)
                #expect(fromA.first?.direction != fromB.first?.direction)
                let expectedInitiator = a.id.bytes.lexicographicallyPrecedes(b.id.bytes) ? a.id : b.id
                let initiatorSeenByA = fromA.first?.direction == "outbound" ? a.id : b.id
                #expect(initiatorSeenByA == expectedInitiator)
            }
        }

        @Test func sessionsOverTheLimitAreRefusedWithAnError() async throws {
            let busy = Node(
                configuration: NodeHarness.configuration(limits: .init(maximumSessions: 1, handshakeTimeout: .seconds(2))),
                store: nil, logger: NodeHarness.quietLogger)
            try await busy.bind()
            let address = await NodeHarness.address(busy)
            let first = Node(configuration: NodeHarness.configuration(bootstrap: [address]), store: nil, logger: NodeHarness.quietLogger)
            try await NodeHarness.run([busy, first]) {
                try await NodeHarness.eventually("first peer in") { await NodeHarness.peers(of: busy) == [first.id] }
                let frames = try await RawConnection.with(address) { raw in
                    var session: SecureSession? = try await raw.handshake(
                        HandshakeIdentity(identity: .init(), trust: .keyFile), network: NodeHarness.testNetwork)
                    return try await raw.drain(&session)
                }
                #expect(frames.contains { $0.errorCode == .tooManyConnections })
                #expect(await NodeHarness.peers(of: busy) == [first.id])

                // A node refused that way backs off as after a failed dial, instead of redialling at once.
                let second = Node(configuration: NodeHarness.configuration(bootstrap: [address]), store: nil, logger: NodeHarness.quietLogger)
                try await NodeHarness.run([second]) {
                    try await NodeHarness.eventually("refusals counted as failures") {
                        (await second.status().dialing.first?.failures ?? 0) >= 3
                    }
                    #expect(await NodeHarness.peers(of: busy) == [first.id])
                }
            }
        }
    }
}
