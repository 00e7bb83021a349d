import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import Testing

/// `protocol-spec/vectors/migration.json` (section 18), written by the independent Python
/// generator: qualifying data, the attestation's and the receipt's signatures, the chunk key
/// and sealed chunks, location records and a digest carrying one.
@Suite struct MigrationVectorTests {
    struct Vectors: Decodable {
        struct Chunk: Decodable {
            let index: UInt32
            let plaintext: String
            let sealed: String
        }
        struct Location: Decodable {
            let sequence: String
            let node: String
            let envelope: String
            let content: String
        }
        struct Invalid: Decodable {
            let name: String
            let envelope: String
            let code: String
        }
        let migration: String
        let nonce: String
        let tcf: String
        let sourceSeed: String
        let destinationSeed: String
        let ownerSeed: String
        let attestationKey: String
        let transferKey: String
        let transferKeyName: String
        let ephemeralPoint: String
        let sharedSecret: String
        let qualifyingData: String
        let trust: UInt8
        let attestationSignature: String
        let chunkCount: UInt32
        let chunks: [Chunk]
        let archiveDigest: String
        let atUnixMs: String
        let receiptSignature: String
        let locations: [Location]
        let invalidLocations: [Invalid]
        let digestFrame: String
    }

    static let vectors: Vectors = {
        let url = SharedVectors.projectRoot.appendingPathComponent("protocol-spec/vectors/migration.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(Vectors.self, from: Data(contentsOf: url))
    }()

    @Test func attestationAndReceiptSignaturesMatch() throws {
        let v = Self.vectors
        let migration = try MigrationID(bytes: [UInt8](hex: v.migration))
        let nonce = [UInt8](hex: v.nonce)
        let destination = try Ed25519.PrivateKey(seed: [UInt8](hex: v.destinationSeed))
        let source = try Ed25519.PrivateKey(seed: [UInt8](hex: v.sourceSeed))
        let transferKey = [UInt8](hex: v.transferKey)
        #expect(MigrationAttestation.objectName(transferKey).hex == v.transferKeyName)
        #expect(MigrationAttestation.qualifyingData(migration: migration, nonce: nonce, transferKey: transferKey).hex == v.qualifyingData)
        var attestation = MigrationAttestation(
            migration: migration, trust: try #require(NodeTrust(rawValue: v.trust)), attestationKey: [UInt8](hex: v.attestationKey),
            transferKey: transferKey, quote: [], quoteSignature: [], certification: [], certificationSignature: [], pcrs: [:])
        attestation.sign(nonce: nonce, with: destination)
        #expect(attestation.signature.hex == v.attestationSignature)
        try attestation.verifySignature(by: NodeID(publicKey: destination.publicKey), nonce: nonce)

        var receipt = MigrationReceipt(
            migration: migration, tcf: try TCFID(bytes: [UInt8](hex: v.tcf)), archiveDigest: [UInt8](hex: v.archiveDigest),
            source: NodeID(publicKey: source.publicKey), destination: NodeID(publicKey: destination.publicKey), trust: .tpm,
            atMs: UInt64(v.atUnixMs)!)
        receipt.sign(with: destination)
        #expect(receipt.signature.hex == v.receiptSignature)
        try receipt.verify()
    }

    @Test func chunksSealAsTheGeneratorSealsThem() throws {
        let v = Self.vectors
        let cipher = MigrationCipher(
            sharedSecret: SecureBytes(copying: [UInt8](hex: v.sharedSecret)), migration: try MigrationID(bytes: [UInt8](hex: v.migration)),
            ephemeralKey: [UInt8](hex: v.ephemeralPoint), transferKey: [UInt8](hex: v.transferKey), chunks: v.chunkCount)
        for chunk in v.chunks {
            #expect(cipher.seal([UInt8](hex: chunk.plaintext), index: chunk.index).hex == chunk.sealed)
            #expect(try cipher.open([UInt8](hex: chunk.sealed), index: chunk.index).hex == chunk.plaintext)
        }
    }

    @Test func locationRecordsOpenAndSignAlike() throws {
        let v = Self.vectors
        let owner = try Ed25519.PrivateKey(seed: [UInt8](hex: v.ownerSeed))
        for location in v.locations {
            let opened = try TCFLocation.open([UInt8](hex: location.envelope))
            #expect(opened.sequence == UInt64(location.sequence)! && opened.node.bytes.hex == location.node && opened.tcf.bytes.hex == v.tcf)
            #expect(opened.content.bytes.hex == location.content && opened.owner == owner.publicKey)
            let signed = try TCFLocation.sign(
                tcf: opened.tcf, node: opened.node, sequence: opened.sequence, atMs: UInt64(v.atUnixMs)!, migration: opened.migration, owner: owner)
            #expect(signed.envelope.bytes.hex == location.envelope)
        }
        for invalid in v.invalidLocations {
            do {
                _ = try TCFLocation.open([UInt8](hex: invalid.envelope))
                Issue.record("\(invalid.name) opened")
            } catch { #expect(error.code.name == invalid.code, "\(invalid.name)") }
        }
    }

    @Test func aDigestCarriesALocationEntry() throws {
        let v = Self.vectors
        let frame = try WireFrame(serializedBytes: [UInt8](hex: v.digestFrame))
        guard case .digest(let wire) = frame.body else {
            Issue.record("not a Digest")
            return
        }
        let entries = try DisseminationWire.entries(of: wire, maximum: 16)
        #expect(entries.count == 2)
        #expect(entries[0].key == .location(try TCFID(bytes: [UInt8](hex: v.tcf))) && entries[0].version == 2)
        guard case .community = entries[1].key else {
            Issue.record("the second entry is not a manifest's")
            return
        }
        let encoded: [UInt8] = try DisseminationWire.digest(entries, reply: false).serializedBytes()
        #expect(encoded.hex == v.digestFrame)
        var unknown = wire
        unknown.entries[0].kind = .UNRECOGNIZED(7)
        #expect(throws: GossipError.self) { try DisseminationWire.entries(of: unknown, maximum: 16) }
    }
}
