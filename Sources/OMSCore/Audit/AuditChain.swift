import OMSCrypto
import OMSProtocol

/// The hash chain of an audit log and its verification. Pure: the store hands it rows in the
/// order they are stored, and it says which are changed, removed or out of order.
///
/// Entry hash (protocol-spec/README.md, "Audit log"):
/// ```
/// BLAKE2b-256("oms/v1/audit-entry" | 0x00 | previous hash [32] | sequence u64 | time u64
///             | kind_len u8 | kind | detail_len u32 | detail)
/// ```
/// with 32 zero bytes as the previous hash of entry 1. The chain alone catches any edit that
/// does not rewrite every later hash; signed checkpoints (`AuditCheckpoint`) catch the rest,
/// including a log cut short.
public enum AuditChain {
    static let domain = Array("oms/v1/audit-entry".utf8) + [0]
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func hash(previous: [UInt8], sequence: UInt64, time: UInt64, kind: AuditKind, detail: [UInt8]) -> [UInt8] {
        var input = domain + previous
        input.reserveCapacity(input.count + 21 + kind.rawValue.utf8.count + detail.count)
        input.appendBigEndian(sequence)
        input.appendBigEndian(time)
        input.append(UInt8(kind.rawValue.utf8.count))
        input += kind.rawValue.utf8
        input.appendBigEndian(UInt32(detail.count))
        input += detail
        return BLAKE2b.hash(input, outputLength: 32)
    }

    /// The entry that follows `head` (nil for the first entry of a log).
    public static func entry(after head: AuditEntry?, time: UInt64, kind: AuditKind, detail: [UInt8]) -> AuditEntry {
        let sequence = (head?.sequence ?? 0) + 1
        let hash = hash(previous: head?.hash ?? genesis, sequence: sequence, time: time, kind: kind, detail: detail)
        return AuditEntry(sequence: sequence, time: time, kind: kind, detail: detail, hash: hash)
    }

    /// Checks `entries`, in the order they are stored, against the chain and `checkpoints`
    /// (already verified as signed by the log's owner).
    public static func verify(_ entries: [AuditEntry], checkpoints: [AuditCheckpoint] = []) -> AuditVerification {
        var problems: [AuditProblem] = []
        for (earlier, later) in zip(entries, entries.dropFirst()) where later.sequence <= earlier.sequence {
            problems.append(AuditProblem(.reordered, sequence: later.sequence, "stored after entry \(earlier.sequence)"))
        }
        let ordered = entries.sorted { $0.sequence < $1.sequence }
        var previous: AuditEntry?
        for entry in ordered {
            let expected = (previous?.sequence ?? 0) + 1
            if let previous, entry.sequence == previous.sequence {
                problems.append(AuditProblem(.changed, sequence: entry.sequence, "entry \(entry.sequence) appears twice"))
                continue
            }
            if entry.sequence > expected {
                // The entry after a gap cannot be checked against a hash that is gone.
                problems.append(
                    AuditProblem(.removed, sequence: expected, "entries \(expected) to \(entry.sequence - 1) are missing"))
            } else {
                let computed = hash(
                    previous: previous?.hash ?? genesis, sequence: entry.sequence, time: entry.time, kind: entry.kind,
                    detail: entry.detail)
                if computed != entry.hash {
                    problems.append(AuditProblem(.changed, sequence: entry.sequence, "its hash does not match its content"))
                }
            }
            previous = entry
        }
        let bySequence = Dictionary(ordered.map { ($0.sequence, $0) }, uniquingKeysWith: { first, _ in first })
        for checkpoint in checkpoints {
            guard let entry = bySequence[checkpoint.sequence] else {
                problems.append(
                    AuditProblem(.removed, sequence: checkpoint.sequence, "a signed checkpoint covers it but it is missing"))
                continue
            }
            if entry.hash != checkpoint.head {
                problems.append(
                    AuditProblem(.changed, sequence: checkpoint.sequence, "it differs from the signed checkpoint"))
            }
        }
        return AuditVerification(entries: entries.count, checkpoints: checkpoints.count, problems: problems)
    }
}

/// The outcome of `AuditChain.verify`.
public struct AuditVerification: Sendable, Hashable {
    public var entries: Int
    public var checkpoints: Int
    public var problems: [AuditProblem]

    public var isIntact: Bool { problems.isEmpty }
}

/// One thing wrong with a stored audit log.
public struct AuditProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case changed, removed, reordered
    }

    public var kind: Kind
    public var sequence: UInt64
    public var detail: String

    public init(_ kind: Kind, sequence: UInt64, _ detail: String) {
        self.kind = kind
        self.sequence = sequence
        self.detail = detail
    }

    public var description: String { "entry \(sequence) \(kind.rawValue): \(detail)" }
}
