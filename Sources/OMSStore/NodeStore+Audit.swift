import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol

/// Per-TCC audit logs: appended in one transaction each, read back in storage order, verified
/// against the chain and the owner's signed checkpoints (`AuditChain`, `AuditCheckpoint`).
extension NodeStore {
    /// Appends an entry after the log's current head and returns it; durable when this returns.
    /// With `key` (the TCC's), a checkpoint of the new head is signed and stored in the same
    /// transaction, so the log is never seen with an entry its owner has not vouched for.
    @discardableResult
    public func appendAudit(
        tcc: TCCID, kind: AuditKind, detail: [UInt8], at time: Date = Date(), checkpointWith key: Ed25519.PrivateKey? = nil
    ) throws -> AuditEntry {
        try pool.write { db in try Self.appendAudit(db, tcc: tcc, kind: kind, detail: detail, at: time, checkpointWith: key) }
    }

    /// The same, inside a transaction the caller holds: what is audited and its entry commit
    /// together or not at all.
    static func appendAudit(
        _ db: Database, tcc: TCCID, kind: AuditKind, detail: [UInt8], at time: Date, checkpointWith key: Ed25519.PrivateKey?
    ) throws -> AuditEntry {
        let milliseconds = UInt64(max(0, time.timeIntervalSince1970 * 1000))
        let entry = AuditChain.entry(after: try Self.auditHead(db, tcc: tcc), time: milliseconds, kind: kind, detail: detail)
        try db.execute(
            sql: "INSERT INTO audit_entry (tcc, sequence, time_ms, kind, detail, hash) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                Data(tcc.bytes), Int64(entry.sequence), Int64(entry.time), entry.kind.rawValue, Data(entry.detail),
                Data(entry.hash),
            ])
        if let key {
            try Self.insertCheckpoint(db, AuditCheckpoint(tcc: tcc, covering: entry, time: milliseconds), key: key)
        }
        return entry
    }

    /// The log as stored (insertion order), for display and verification; `since` (ms since
    /// the epoch) and `kind` narrow it for display.
    public func auditEntries(tcc: TCCID, since: UInt64 = 0, kind: AuditKind? = nil) throws -> [AuditEntry] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, time_ms, kind, detail, hash FROM audit_entry
                    WHERE tcc = ? AND time_ms >= ? AND (? IS NULL OR kind = ?) ORDER BY rowid
                    """,
                arguments: [Data(tcc.bytes), Int64(clamping: since), kind?.rawValue, kind?.rawValue]
            ).map(Self.auditEntry)
        }
    }

    /// Signs a checkpoint of the log's current head with `key` (the TCC's) and stores it.
    @discardableResult
    public func checkpointAudit(tcc: TCCID, key: Ed25519.PrivateKey, at time: Date = Date()) throws -> AuditCheckpoint? {
        try pool.write { db in
            guard let head = try Self.auditHead(db, tcc: tcc) else { return nil }
            let checkpoint = AuditCheckpoint(tcc: tcc, covering: head, time: UInt64(max(0, time.timeIntervalSince1970 * 1000)))
            try Self.insertCheckpoint(db, checkpoint, key: key)
            return checkpoint
        }
    }

    /// The entry with the highest sequence number: one indexed lookup.
    static func auditHead(_ db: Database, tcc: TCCID) throws -> AuditEntry? {
        try Row.fetchOne(
            db, sql: "SELECT sequence, time_ms, kind, detail, hash FROM audit_entry WHERE tcc = ? ORDER BY sequence DESC LIMIT 1",
            arguments: [Data(tcc.bytes)]
        ).map(auditEntry)
    }

    static func insertCheckpoint(_ db: Database, _ checkpoint: AuditCheckpoint, key: Ed25519.PrivateKey) throws {
        try db.execute(
            sql: "INSERT INTO audit_checkpoint (tcc, sequence, envelope) VALUES (?, ?, ?)",
            arguments: [Data(checkpoint.tcc.bytes), Int64(checkpoint.sequence), Data(checkpoint.signed(with: key).bytes)])
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
