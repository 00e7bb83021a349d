import OMSCrypto
import OMSProtocol

/// A signed statement "the audit log of this TCC had entry `sequence` with hash `head` at
/// `time`": an envelope of type `oms/audit-checkpoint` whose payload is
/// `tcc [32] | sequence u64 | head [32] | time u64` (80 bytes). With it, a log rewritten from
/// some entry on, or cut short, no longer matches what its owner signed.
public struct AuditCheckpoint: Sendable, Hashable {
    public static let type = try! EnvelopeType("oms/audit-checkpoint")
    static let payloadLength = 80

    public var tcc: TCCID
    public var sequence: UInt64
    public var head: [UInt8]
    public var time: UInt64

    public init(tcc: TCCID, sequence: UInt64, head: [UInt8], time: UInt64) {
        self.tcc = tcc
        self.sequence = sequence
        self.head = head
        self.time = time
    }

    /// The checkpoint of `entry`, the log's latest.
    public init(tcc: TCCID, covering entry: AuditEntry, time: UInt64) {
        self.init(tcc: tcc, sequence: entry.sequence, head: entry.hash, time: time)
    }

    public var payload: [UInt8] {
        var bytes = tcc.bytes
        bytes.appendBigEndian(sequence)
        bytes += head
        bytes.appendBigEndian(time)
        return bytes
    }

    public func signed(with key: Ed25519.PrivateKey) -> Envelope {
        Envelope.sign(type: Self.type, payload: payload, with: key)
    }

    /// Opens a checkpoint envelope: the right type, a valid signature by `signer`, 80 bytes.
    public init(opening bytes: [UInt8], signer: Ed25519.PublicKey) throws(EnvelopeError) {
        let envelope = try Envelope.open(bytes, expecting: Self.type, maximumPayload: Self.payloadLength)
        guard envelope.signer == signer else {
            throw EnvelopeError(.badSignature, "the checkpoint is signed by another key than the log's owner")
        }
        var reader = ByteReader(envelope.payload)
        guard envelope.payload.count == Self.payloadLength, let tcc = reader.readArray(32), let sequence = reader.readUInt64(),
            let head = reader.readArray(32), let time = reader.readUInt64()
        else {
            throw EnvelopeError(.malformed, "a checkpoint payload is \(Self.payloadLength) bytes, not \(envelope.payload.count)")
        }
        self.init(tcc: TCCID(uncheckedBytes: tcc), sequence: sequence, head: head, time: time)
    }
}
