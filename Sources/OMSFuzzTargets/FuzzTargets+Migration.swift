import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol

extension FuzzTargets {
    /// Migration (protocol-spec/README.md section 18): the input as a `Frame`, whose offer,
    /// attestation and receipt go through `MigrationWire`'s bounded readers, whose begin goes to
    /// a destination's checks and whose chunk to a receiving destination; and the input raw as a
    /// location record. What reads must keep its bounds and read back the same after encoding;
    /// a location record that opens must be signed by the key its TCF id names, with a sequence
    /// of 1 to 2^63 - 1; a destination never holds more chunks than the archive has.
    public static func migration(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        if let location = try? TCFLocation.open(bytes) {
            try invariant(location.tcf.isNamed(by: location.owner), "a location opened whose TCF id is not its signer's")
            try invariant((1...UInt64(Int64.max)).contains(location.sequence), "a location opened with sequence \(location.sequence)")
            try invariant(location.envelope.bytes == bytes, "a location's envelope is not the bytes it was read from")
        }
        guard let frame = try? WireFrame(serializedBytes: bytes) else { return }
        switch frame.body {
        case .migrationOffer(let wire):
            guard let offer = try? MigrationWire.offer(of: wire) else { return }
            try invariant(offer.nonce.count == 32 && offer.pcrs.count <= 24 && offer.pcrs.allSatisfy { (0...23).contains($0) }, "an offer past its bounds")
        case .migrationAttestation(let wire):
            guard let attestation = try? MigrationWire.attestation(of: wire) else { return }
            try invariant(attestation.quote.count <= 1024 && attestation.attestationKey.count <= 512 && attestation.pcrs.count <= 24, "an attestation past its bounds")
            guard case .migrationAttestation(let again) = MigrationWire.attestation(attestation).body,
                (try? MigrationWire.attestation(of: again)) == attestation
            else { throw FuzzInvariantViolation(description: "an attestation reads back otherwise") }
        case .migrationReceipt(let wire):
            guard let receipt = try? MigrationWire.receipt(of: wire) else { return }
            guard case .migrationReceipt(let again) = MigrationWire.receipt(receipt).body, (try? MigrationWire.receipt(of: again)) == receipt else {
                throw FuzzInvariantViolation(description: "a receipt reads back otherwise")
            }
        case .migrationBegin(let wire):
            let destination = try! MigrationDestination(
                migration: fuzzMigration, tcf: TCFID(uncheckedBytes: [UInt8](repeating: 1, count: 32)), source: fuzzSource, nonce: [UInt8](repeating: 2, count: 32),
                archiveBytes: 3 << 20, maximumArchiveBytes: 1 << 30)
            _ = try? destination.checkBegin(
                ephemeralKey: Array(wire.ephemeralKey), archiveDigest: Array(wire.archiveDigest), archiveBytes: wire.archiveBytes, chunks: wire.chunks)
        case .migrationChunk(let wire):
            var destination = try! MigrationDestination(
                migration: fuzzMigration, tcf: TCFID(uncheckedBytes: [UInt8](repeating: 1, count: 32)), source: fuzzSource, nonce: [UInt8](repeating: 2, count: 32),
                archiveBytes: 3 << 20, maximumArchiveBytes: 1 << 30)
            try! destination.begin(cipher: fuzzCipher, archiveDigest: [UInt8](repeating: 0, count: 32))
            if let held = try? destination.chunk(Array(wire.sealed), index: wire.index) {
                try invariant(held <= destination.chunks, "a destination holds more chunks than the archive has")
            }
        default:
            break
        }
    }

    static let fuzzMigration = try! MigrationID(bytes: [UInt8](repeating: 7, count: 16))
    static let fuzzSource = NodeID(uncheckedBytes: [UInt8](repeating: 3, count: 32))
    static let fuzzCipher = MigrationCipher(
        sharedSecret: SecureBytes(copying: [UInt8](repeating: 5, count: 32)), migration: fuzzMigration, ephemeralKey: [4], transferKey: [], chunks: 3)
}
