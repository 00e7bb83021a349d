import Foundation
@testable import OMSNode
import OMSCrypto
import OMSProtocol
import Testing

/// The control socket's messages survive JSON both ways: the CLI and the node agree.
@Suite struct ControlMessageCodingTests {
    @Test(arguments: [
        ControlRequest.status, .metrics, .listPeers, .addPeer(try! Endpoint(parsing: "127.0.0.1:7400")),
        .removePeer(try! Endpoint(parsing: "[::1]:9")),
        .sendNote(text: "hi", to: NodeID(publicKey: Ed25519.PrivateKey().publicKey)), .sendNote(text: "all", to: nil),
    ])
    func requestsRoundTrip(request: ControlRequest) throws {
        let data = try JSONEncoder.control.encode(request)
        let back = try JSONDecoder.control.decode(ControlRequest.self, from: data)
        #expect(try JSONEncoder.control.encode(back) == data)
    }

    @Test func aStatusRoundTripsWithTypedIds() throws {
        let id = NodeID(publicKey: Ed25519.PrivateKey().publicKey)
        let status = NodeStatus(
            nodeID: id, network: .main, agent: "oms/test", listen: try Endpoint(parsing: "127.0.0.1:1"), advertise: nil,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), uptimeSeconds: 5,
            sessions: [
                SessionStatus(
                    peer: id, direction: "inbound", remoteAddress: "127.0.0.1:2", peerListenAddress: nil, agent: "x",
                    establishedAt: Date(timeIntervalSince1970: 1_700_000_001), latestRTTMilliseconds: 0.5,
                    smoothedRTTMilliseconds: nil, bytesIn: 1, bytesOut: 2, framesIn: 3, framesOut: 4)
            ], dialing: [], recentNotes: [])
        let data = try JSONEncoder.control.encode(ControlResponse(status: status))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(id.description), "ids travel in their printed, checksummed form")
        let back = try JSONDecoder.control.decode(ControlResponse.self, from: data)
        #expect(back.status?.nodeID == id)
        #expect(back.status?.sessions.first?.latestRTTMilliseconds == 0.5)
    }

    @Test func aMistypedIdIsRefusedWhenDecoding() throws {
        var text = NodeID(publicKey: Ed25519.PrivateKey().publicKey).description
        let last = text.removeLast()
        text.append(last == "q" ? "p" : "q")
        let json = Data("{\"sendNote\":{\"text\":\"x\",\"to\":\"\(text)\"}}".utf8)
        #expect(throws: (any Error).self) { try JSONDecoder.control.decode(ControlRequest.self, from: json) }
    }
}
