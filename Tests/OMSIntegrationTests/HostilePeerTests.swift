import Foundation
import NIOCore
import OMSCore
@testable import OMSNode
@testable import OMSProtocol
import OMSCrypto
import Testing

extension IntegrationTests {
    /// Peers that break the rules on purpose: each is cut off, and the node keeps serving its
    /// honest peer throughout.
    @Suite(.timeLimit(.minutes(1))) struct HostilePeerTests {
        /// Runs a node with one honest peer, hands the node's address to `attack`, then checks that
        /// the honest session survived and still carries notes.
        ///
        /// `undisturbed: false` is for floods that saturate both cores: there the honest session may
        /// time out and reconnect, and the check is only that it is back.
        private func withHonestPeer(
            undisturbed: Bool = true, _ attack: @Sendable (Endpoint, Node) async throws -> Void
        ) async throws {
            let node = Node(configuration: NodeHarness.configuration(), store: nil, logger: NodeHarness.quietLogger)
            try await node.bind()
            let address = await NodeHarness.address(node)
            let honest = Node(configuration: NodeHarness.configuration(bootstrap: [address]), store: nil, logger: NodeHarness.quietLogger)
            try await NodeHarness.run([node, honest]) {
                try await NodeHarness.eventually("honest peer connected") { await NodeHarness.peers(of: node) == [honest.id] }
                let before = await node.status().sessions.first { $0.peer == honest.id }!.establishedAt
                try await attack(address, node)
                try await NodeHarness.eventually("only the honest peer left") { await NodeHarness.peers(of: node) == [honest.id] }
                let after = await node.status().sessions.first { $0.peer == honest.id }?.establishedAt
                if undisturbed { #expect(after == before, "the honest session was not disturbed") }
                await honest.sendNote("still here")
                try await NodeHarness.eventually("honest note after the attack") {
                    await node.status().recentNotes.contains { $0.text == "still here" }
                }
            }
        }

        @Test func aPeerWhoseIdentityDidNotSignItsNoiseKeyIsRefused() async throws {
            try await withHonestPeer { address, node in
                // The payload is a valid signature by a real identity, but over another static key.
                let identity = Ed25519.PrivateKey()
                let forged = HandshakeIdentity(
                    identity: identity, trust: .keyFile, staticKey: X25519.PrivateKey(),
                    payload: HandshakeIdentity(identity: identity, trust: .keyFile, staticKey: X25519.PrivateKey()).payload)
                try await RawConnection.with(address) { raw in
                    var handshake = NodeHandshake(role: .initiator, identity: forged, network: NodeHarness.testNetwork)
                    try await raw.send(try handshake.start())
                    guard let message2 = try await raw.receive(), case .sendAndEstablish(let message3, _) = try handshake.receive(message2)
                    else { Issue.record("no message 2"); return }
                    try await raw.send(message3)
                    var none: SecureSession? = nil
                    let afterwards = try await raw.drain(&none)
                    #expect(afterwards.isEmpty, "the node closed without a session")
                }
                #expect(await NodeHarness.peers(of: node).contains(NodeID(publicKey: identity.publicKey)) == false)
            }
        }

        @Test func anOversizedFrameIsRefusedBeforeAllocationAndThePeerCutOff() async throws {
            try await withHonestPeer { address, _ in
                let frames = try await RawConnection.with(address) { raw in
                    var session: SecureSession? = try await raw.handshake(.init(identity: .init(), trust: .keyFile), network: NodeHarness.testNetwork)
                    // Announce a 2 GiB frame; send only its length prefix.
                    var transport = session!
                    let prefix: [UInt8] = [0x80, 0x00, 0x00, 0x00]
                    try await raw.send(try transport.sealRaw(prefix))
                    session = transport
                    return try await raw.drain(&session)
                }
                #expect(frames.contains { $0.errorCode == .frameTooLarge })
            }
        }

        @Test func aGarbageFrameGetsATypedErrorAndThePeerCutOff() async throws {
            try await withHonestPeer { address, _ in
                let frames = try await RawConnection.with(address) { raw in
                    var session: SecureSession? = try await raw.handshake(.init(identity: .init(), trust: .keyFile), network: NodeHarness.testNetwork)
                    var transport = session!
                    let hello = SessionInstance.hello(agent: "hostile/1", listenAddress: nil, wallClockMilliseconds: 0)
                    for message in try transport.seal([hello]) { try await raw.send(message) }
                    // A frame whose bytes are not a protobuf Frame.
                    let garbage: [UInt8] = [0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
                    try await raw.send(try transport.sealRaw(garbage))
                    session = transport
                    return try await raw.drain(&session)
                }
                #expect(frames.contains { $0.errorCode == .malformedFrame })
            }
        }

        @Test func anUnknownFrameKindGetsAnErrorButKeepsTheSession() async throws {
            try await withHonestPeer { address, node in
                try await RawConnection.with(address) { raw in
                    var transport = try await raw.handshake(.init(identity: .init(), trust: .keyFile), network: NodeHarness.testNetwork)
                    let hello = SessionInstance.hello(agent: "future/9", listenAddress: nil, wallClockMilliseconds: 0)
                    for message in try transport.seal([hello]) { try await raw.send(message) }
                    // Field 99 (a frame kind from the future), length-delimited, empty.
                    try await raw.send(try transport.sealRaw([0, 0, 0, 3, 0x9a, 0x06, 0x00]))
                    var sawUnknown = false
                    while !sawUnknown, let message = try await raw.receive() {
                        for case .frame(let frame) in try transport.open(message) where frame.errorCode == .unknownFrame {
                            sawUnknown = true
                        }
                    }
                    #expect(sawUnknown)
                    #expect(await node.status().sessions.count == 2, "the session from the future stays open")
                }
            }
        }

        @Test func aPeerThatSendsButNeverReadsIsCutOffBeforeItFillsOurMemory() async throws {
            try await withHonestPeer(undisturbed: false) { address, node in
                try await RawConnection.with(address) { raw in
                    var transport = try await raw.handshake(.init(identity: .init(), trust: .keyFile), network: NodeHarness.testNetwork)
                    let hello = SessionInstance.hello(agent: "sponge/1", listenAddress: nil, wallClockMilliseconds: 0)
                    for message in try transport.seal([hello]) { try await raw.send(message) }
                    // Pings whose pongs we never read: the node's unsent bytes grow until it gives up.
                    let pings = (0..<4000).map { n -> WireFrame in
                        var ping = WireFrame()
                        ping.ping = .with { $0.nonce = UInt64(n) }
                        return ping
                    }
                    var sent = 0
                    do {
                        while await node.status().sessions.count == 2, sent < 2_000_000 {
                            for message in try transport.seal(pings) { try await raw.send(message) }
                            sent += pings.count
                        }
                    } catch {
                        // Connection reset: the node has closed on us, which is the point.
                    }
                    try await NodeHarness.eventually("the sponge is cut off", timeout: .seconds(30)) { await node.status().sessions.count == 1 }
                    #expect(sent < 2_000_000, "cut off after \(sent) unanswered pings")
                }
            }
        }

        @Test func bytesThatDoNotDecryptCloseTheConnection() async throws {
            try await withHonestPeer { address, _ in
                try await RawConnection.with(address) { raw in
                    var session: SecureSession? = try await raw.handshake(.init(identity: .init(), trust: .keyFile), network: NodeHarness.testNetwork)
                    try await raw.send([UInt8](repeating: 0x42, count: 64))
                    _ = try await raw.drain(&session)
                }
            }
        }

        @Test func aSilentConnectionIsDroppedAtTheHandshakeTimeout() async throws {
            try await withHonestPeer { address, _ in
                let started = ContinuousClock.now
                try await RawConnection.with(address) { raw in
                    while try await raw.receive() != nil {}
                }
                #expect(ContinuousClock.now - started >= .seconds(1.5))
            }
        }

        @Test func aGarbageTCPStreamBeforeTheHandshakeIsDroppedByTheTimeout() async throws {
            try await withHonestPeer { address, _ in
                // "GE" reads as a length of 18,245 bytes that never come: the handshake time-out ends it.
                let started = ContinuousClock.now
                try await RawConnection.with(address) { raw in
                    try await raw.sendUnframed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                    while try await raw.receive() != nil {}
                }
                #expect(ContinuousClock.now - started >= .seconds(1.5))
            }
        }

        @Test func aHandshakeMessageThatIsNotNoiseIsRefusedAtOnce() async throws {
            try await withHonestPeer { address, _ in
                let started = ContinuousClock.now
                try await RawConnection.with(address) { raw in
                    try await raw.send([UInt8](repeating: 7, count: 20))
                    while try await raw.receive() != nil {}
                }
                #expect(ContinuousClock.now - started < .seconds(1.5), "refused before the time-out")
            }
        }
    }


    /// Peer exchange from a lying peer: its adverts are capped, and dead ones forgotten.
    @Suite(.timeLimit(.minutes(1))) struct LyingPeerExchangeTests {
        @Test func advertsAreCappedAndDeadLearnedPeersForgotten() async throws {
            var configuration = NodeHarness.configuration(
                limits: .init(handshakeTimeout: .seconds(2), connectTimeout: .seconds(1), maximumLearnedPeers: 5, learnedPeerFailureLimit: 2))
            configuration.greetPeers = false
            let node = Node(configuration: configuration, store: nil, logger: NodeHarness.quietLogger)
            try await node.bind()
            let address = await NodeHarness.address(node)
            try await NodeHarness.run([node]) {
                try await RawConnection.with(address) { raw in
                    var transport = try await raw.handshake(.init(identity: .init(), trust: .keyFile), network: NodeHarness.testNetwork)
                    var list = WireFrame()
                    // 64 adverts for loopback ports where nothing listens (port 1 and up).
                    list.peers = .with {
                        $0.peers = (1...64).map { port in
                            .with {
                                $0.identityKey = .init(Ed25519.PrivateKey().publicKey.rawRepresentation)
                                $0.address = "127.0.0.1:\(port)"
                            }
                        }
                    }
                    let hello = SessionInstance.hello(agent: "liar/1", listenAddress: nil, wallClockMilliseconds: 0)
                    for message in try transport.seal([hello, list]) { try await raw.send(message) }
                    try await NodeHarness.eventually("adverts taken up to the cap") { await node.status().dialing.count == 5 }
                    var most = 0
                    let deadline = ContinuousClock.now + .seconds(10)
                    while ContinuousClock.now < deadline {
                        let count = await node.status().dialing.count
                        most = max(most, count)
                        if count == 0 { break }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    #expect(most <= 5, "never more learned peers than the cap")
                    #expect(await node.status().dialing.isEmpty, "dead learned peers are forgotten")
                }
            }
        }
    }
}
