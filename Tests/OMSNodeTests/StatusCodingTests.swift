import Foundation
@testable import OMSNode
import OMSCrypto
import OMSProtocol
import Testing

/// A node's status survives JSON both ways with ids in their printed form: the API and the
/// CLI agree on it.
@Suite struct StatusCodingTests {
    static func coder() -> (JSONEncoder, JSONDecoder) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (encoder, decoder)
    }

    @Test func aStatusRoundTripsWithTypedIds() throws {
        let (encoder, decoder) = Self.coder()
        let id = NodeID(publicKey: Ed25519.PrivateKey().publicKey)
        let status = NodeStatus(
            nodeID: id, network: .main, trust: .tpm, agent: "oms/test", listen: try Endpoint(parsing: "127.0.0.1:1"), advertise: nil,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000), uptimeSeconds: 5,
            sessions: [
                SessionStatus(
                    peer: id, peerTrust: .passphrase, direction: "inbound", remoteAddress: "127.0.0.1:2", peerListenAddress: nil, agent: "x",
                    establishedAt: Date(timeIntervalSince1970: 1_700_000_001), latestRTTMilliseconds: 0.5,
                    smoothedRTTMilliseconds: nil, bytesIn: 1, bytesOut: 2, framesIn: 3, framesOut: 4)
            ], dialing: [], recentNotes: [],
            membership: MembershipStatus(
                incarnation: 7, localHealth: 1, members: [.init(node: id, status: "suspect", incarnation: 3)], promisedDetectionMs: 40_000, catalogItems: 2,
                refusals: ["stale": 1], dropped: 0, unreachable: 0, banned: [id]))
        let data = try encoder.encode(status)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(id.description), "ids travel in their printed, checksummed form")
        let back = try decoder.decode(NodeStatus.self, from: data)
        #expect(back.nodeID == id)
        #expect(text.contains("\"trust\":\"tpm\"") && back.trust == .tpm && back.sessions.first?.peerTrust == .passphrase)
        #expect(back.sessions.first?.latestRTTMilliseconds == 0.5)
        #expect(back.membership.members.first?.status == "suspect" && back.membership.banned == [id])
        #expect(try encoder.encode(back) == data)
    }

    @Test func aMistypedIdIsRefusedWhenDecoding() throws {
        let (encoder, decoder) = Self.coder()
        let id = NodeID(publicKey: Ed25519.PrivateKey().publicKey)
        let status = NodeStatus(
            nodeID: id, network: .main, trust: .keyFile, agent: "a", listen: nil, advertise: nil, startedAt: Date(timeIntervalSince1970: 0),
            uptimeSeconds: 0, sessions: [], dialing: [], recentNotes: [],
            membership: MembershipStatus(
                incarnation: 0, localHealth: 0, members: [], promisedDetectionMs: 0, catalogItems: 0, refusals: [:], dropped: 0, unreachable: 0, banned: []))
        var text = String(decoding: try encoder.encode(status), as: UTF8.self)
        var mistyped = id.description
        let last = mistyped.removeLast()
        mistyped.append(last == "q" ? "p" : "q")
        text = text.replacingOccurrences(of: id.description, with: mistyped)
        #expect(throws: (any Error).self) { try decoder.decode(NodeStatus.self, from: Data(text.utf8)) }
    }
}
