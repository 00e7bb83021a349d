import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import Testing

/// protocol-spec/vectors/audit.json, written by the independent Python implementation.
@Suite struct AuditVectorTests {
    struct Vectors: Decodable {
        struct Entry: Decodable {
            let sequence: UInt64
            let time_ms: UInt64
            let kind: String
            let detail: String
            let previous_hash: String
            let hash: String
        }

        struct Checkpoint: Decodable {
            let tcc: String
            let tcc_text: String
            let sequence: UInt64
            let head: String
            let time_ms: UInt64
            let owner_seed: String
            let payload: String
            let signature: String
            let envelope: String
        }

        let entries: [Entry]
        let checkpoint: Checkpoint
    }

    static func load() throws -> Vectors {
        let url = SharedVectors.projectRoot.appendingPathComponent("protocol-spec/vectors/audit.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }

    @Test func entryHashesMatchTheVectors() throws {
        let vectors = try Self.load()
        var head: AuditEntry?
        for v in vectors.entries {
            let entry = AuditChain.entry(after: head, time: v.time_ms, kind: try AuditKind(v.kind), detail: [UInt8](hex: v.detail))
            #expect((head?.hash ?? AuditChain.genesis).hex == v.previous_hash)
            #expect(entry.sequence == v.sequence)
            #expect(entry.hash.hex == v.hash)
            head = entry
        }
        #expect(vectors.entries.count == 3)
    }

    @Test func theCheckpointEnvelopeMatchesByteForByte() throws {
        let v = try Self.load().checkpoint
        let owner = try Ed25519.PrivateKey(seed: [UInt8](hex: v.owner_seed))
        let tcc = try TCCID(parsing: v.tcc_text)
        #expect(tcc.bytes.hex == v.tcc)
        let checkpoint = AuditCheckpoint(tcc: tcc, sequence: v.sequence, head: [UInt8](hex: v.head), time: v.time_ms)
        #expect(checkpoint.payload.hex == v.payload)
        let envelope = checkpoint.signed(with: owner)
        #expect(envelope.signature.hex == v.signature)
        #expect(envelope.bytes.hex == v.envelope)
        #expect(try AuditCheckpoint(opening: [UInt8](hex: v.envelope), signer: owner.publicKey) == checkpoint)
    }
}
