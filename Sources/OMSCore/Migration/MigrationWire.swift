import Foundation
import OMSProtocol

/// The migration frames (protocol-spec §18), built and read; every field bounded before it is
/// kept.
public enum MigrationWire {
    public static func offer(_ source: MigrationSource) -> WireFrame {
        var frame = WireFrame()
        frame.migrationOffer = .with {
            $0.migration = Data(source.migration.bytes)
            $0.tcf = Data(source.tcf.bytes)
            $0.nonce = Data(source.nonce)
            $0.archiveBytes = source.archiveBytes
            $0.pcrs = source.policy.pcrs.keys.sorted().map { UInt32($0) }
        }
        return frame
    }

    /// An offer's fields, bounded: the migration, the TCF, the nonce, the size and the PCRs to quote.
    public static func offer(of wire: WireMigrationOffer) throws(MigrationError) -> (
        migration: MigrationID, tcf: TCFID, nonce: [UInt8], archiveBytes: UInt64, pcrs: [Int]
    ) {
        guard let tcf = try? TCFID(bytes: Array(wire.tcf)), wire.nonce.count == 32, wire.pcrs.count <= 24, wire.pcrs.allSatisfy({ $0 < 24 }) else {
            throw MigrationError(.malformed, "an offer needs a TCF id, a 32-byte nonce and at most 24 PCRs of 0 to 23")
        }
        return (try MigrationID(bytes: Array(wire.migration)), tcf, Array(wire.nonce), wire.archiveBytes, wire.pcrs.map { Int($0) })
    }

    public static func attestation(_ a: MigrationAttestation) -> WireFrame {
        var frame = WireFrame()
        frame.migrationAttestation = .with {
            $0.migration = Data(a.migration.bytes)
            $0.trust = WireNodeTrust(rawValue: Int(a.trust.rawValue)) ?? .unspecified
            $0.attestationKey = Data(a.attestationKey)
            $0.transferKey = Data(a.transferKey)
            $0.quote = Data(a.quote)
            $0.quoteSignature = Data(a.quoteSignature)
            $0.certification = Data(a.certification)
            $0.certificationSignature = Data(a.certificationSignature)
            $0.pcrs = a.pcrs.sorted { $0.key < $1.key }.map { index, value in
                .with {
                    $0.index = UInt32(index)
                    $0.value = Data(value)
                }
            }
            $0.signature = Data(a.signature)
        }
        return frame
    }

    public static func attestation(of wire: WireMigrationAttestation) throws(MigrationError) -> MigrationAttestation {
        typealias A = MigrationAttestation
        guard wire.attestationKey.count <= A.maximumPublicArea, wire.transferKey.count <= A.maximumPublicArea,
            wire.quote.count <= A.maximumAttestation, wire.certification.count <= A.maximumAttestation,
            wire.quoteSignature.count <= A.maximumSignature, wire.certificationSignature.count <= A.maximumSignature,
            wire.signature.count == 64, wire.pcrs.count <= 24
        else { throw MigrationError(.malformed, "an attestation with a field over its bound, or without its 64-byte signature") }
        guard let trust = NodeTrust(rawValue: UInt8(clamping: wire.trust.rawValue)) else {
            throw MigrationError(.malformed, "an attestation stating no known trust")
        }
        var pcrs: [Int: [UInt8]] = [:]
        for pcr in wire.pcrs {
            guard pcr.index < 24, pcr.value.count == 32 else { throw MigrationError(.malformed, "a reported PCR out of 0 to 23, or not 32 bytes") }
            pcrs[Int(pcr.index)] = Array(pcr.value)
        }
        return MigrationAttestation(
            migration: try MigrationID(bytes: Array(wire.migration)), trust: trust, attestationKey: Array(wire.attestationKey),
            transferKey: Array(wire.transferKey), quote: Array(wire.quote), quoteSignature: Array(wire.quoteSignature),
            certification: Array(wire.certification), certificationSignature: Array(wire.certificationSignature), pcrs: pcrs,
            signature: Array(wire.signature))
    }

    public static func begin(_ migration: MigrationID, ephemeralKey: [UInt8], archiveDigest: [UInt8], archiveBytes: UInt64, chunks: UInt32) -> WireFrame {
        var frame = WireFrame()
        frame.migrationBegin = .with {
            $0.migration = Data(migration.bytes)
            $0.ephemeralKey = Data(ephemeralKey)
            $0.archiveDigest = Data(archiveDigest)
            $0.archiveBytes = archiveBytes
            $0.chunks = chunks
        }
        return frame
    }

    public static func chunk(_ migration: MigrationID, index: UInt32, sealed: [UInt8]) -> WireFrame {
        var frame = WireFrame()
        frame.migrationChunk = .with {
            $0.migration = Data(migration.bytes)
            $0.index = index
            $0.sealed = Data(sealed)
        }
        return frame
    }

    public static func ack(_ migration: MigrationID, received: UInt32) -> WireFrame {
        var frame = WireFrame()
        frame.migrationAck = .with {
            $0.migration = Data(migration.bytes)
            $0.received = received
        }
        return frame
    }

    public static func commit(_ migration: MigrationID) -> WireFrame {
        var frame = WireFrame()
        frame.migrationCommit = .with { $0.migration = Data(migration.bytes) }
        return frame
    }

    public static func receipt(_ r: MigrationReceipt) -> WireFrame {
        var frame = WireFrame()
        frame.migrationReceipt = .with {
            $0.migration = Data(r.migration.bytes)
            $0.tcf = Data(r.tcf.bytes)
            $0.archiveDigest = Data(r.archiveDigest)
            $0.source = Data(r.source.bytes)
            $0.destination = Data(r.destination.bytes)
            $0.trust = WireNodeTrust(rawValue: Int(r.trust.rawValue)) ?? .unspecified
            $0.atUnixMs = r.atMs
            $0.signature = Data(r.signature)
        }
        return frame
    }

    public static func receipt(of wire: WireMigrationReceipt) throws(MigrationError) -> MigrationReceipt {
        guard wire.archiveDigest.count == 32, wire.signature.count == 64,
            let tcf = try? TCFID(bytes: Array(wire.tcf)), let source = try? NodeID(bytes: Array(wire.source)),
            let destination = try? NodeID(bytes: Array(wire.destination)),
            let trust = NodeTrust(rawValue: UInt8(clamping: wire.trust.rawValue))
        else { throw MigrationError(.malformed, "a receipt without its ids, 32-byte digest, trust or 64-byte signature") }
        return MigrationReceipt(
            migration: try MigrationID(bytes: Array(wire.migration)), tcf: tcf, archiveDigest: Array(wire.archiveDigest), source: source,
            destination: destination, trust: trust, atMs: wire.atUnixMs, signature: Array(wire.signature))
    }
}
