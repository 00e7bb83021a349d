import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol

/// Per-TCC audit logs: appended in one transaction each, read back in storage order, verified
/// against the chain and the owner's signed checkpoints (`AuditChain`, `AuditCheckpoint`).
extension NodeStore {
    /// Appends an entry after the log's current head and returns it; durable when this returns.
    @discardableResult
    public func appendAudit(tcc: TCCID, kind: AuditKind, detail: [UInt8], at time: Date = Date()) throws -> AuditEntry {
        try pool.write { db in
            let head = try Row.fetchOne(
                db, sql: "SELECT sequence, time_ms, kind, detail, hash FROM audit_entry WHERE tcc = ? ORDER BY sequence DESC LIMIT 1",
                arguments: [Data(tcc.bytes)]
            ).map(Self.auditEntry)
            let entry = AuditChain.entry(after: head, time: UInt64(max(0, time.timeIntervalSince1970 * 1000)), kind: kind, detail: detail)
            try db.execute(
                sql: "INSERT INTO audit_entry (tcc, sequence, time_ms, kind, detail, hash) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    Data(tcc.bytes), Int64(entry.sequence), Int64(entry.time), entry.kind.rawValue, Data(entry.detail),
                    Data(entry.hash),
                ])
            return entry
        }
    }

    /// The log as stored (insertion order), for display and verification.
    public func auditEntries(tcc: TCCID) throws -> [AuditEntry] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT sequence, time_ms, kind, detail, hash FROM audit_entry WHERE tcc = ? ORDER BY rowid",
                arguments: [Data(tcc.bytes)]
            ).map(Self.auditEntry)
        }
    }

    /// Signs a checkpoint of the log's current head with `key` (the TCC's) and stores it.
    @discardableResult
    public func checkpointAudit(tcc: TCCID, key: Ed25519.PrivateKey, at time: Date = Date()) throws -> AuditCheckpoint? {
        guard let head = try auditEntries(tcc: tcc).max(by: { $0.sequence < $1.sequence }) else { return nil }
        let checkpoint = AuditCheckpoint(tcc: tcc, covering: head, time: UInt64(max(0, time.timeIntervalSince1970 * 1000)))
        let envelope = checkpoint.signed(with: key)
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit_checkpoint (tcc, sequence, envelope) VALUES (?, ?, ?)",
                arguments: [Data(tcc.bytes), Int64(checkpoint.sequence), Data(envelope.bytes)])
        }
        return checkpoint
    }

    /// Checks the stored log of `tcc` against its chain and every checkpoint `owner` signed. A
    /// stored checkpoint that does not open (forged, edited, another signer) is a problem too.
    public func verifyAudit(tcc: TCCID, owner: Ed25519.PublicKey) throws -> AuditVerification {
        let entries = try auditEntries(tcc: tcc)
        let stored = try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT sequence, envelope FROM audit_checkpoint WHERE tcc = ? ORDER BY rowid", arguments: [Data(tcc.bytes)])
        }
        var checkpoints: [AuditCheckpoint] = []
        var forged: [AuditProblem] = []
        for row in stored {
            let sequence = UInt64(max(0, row["sequence"] as Int64))
            do {
                let checkpoint = try AuditCheckpoint(opening: Array(row["envelope"] as Data), signer: owner)
                guard checkpoint.tcc == tcc else {
                    forged.append(AuditProblem(.changed, sequence: sequence, "a checkpoint of another TCC is filed here"))
                    continue
                }
                checkpoints.append(checkpoint)
            } catch {
                forged.append(AuditProblem(.changed, sequence: sequence, "its checkpoint does not open: \(error)"))
            }
        }
        var verification = AuditChain.verify(entries, checkpoints: checkpoints)
        verification.problems += forged
        return verification
    }

    static func auditEntry(_ row: Row) throws -> AuditEntry {
        let kindText: String = row["kind"]
        guard let kind = try? AuditKind(kindText) else {
            throw StoreError(.corrupt, "an audit entry has the malformed kind '\(kindText.printable(limit: 64))'")
        }
        return AuditEntry(
            sequence: UInt64(max(0, row["sequence"] as Int64)), time: UInt64(max(0, row["time_ms"] as Int64)), kind: kind,
            detail: Array(row["detail"] as Data), hash: Array(row["hash"] as Data))
    }
}
