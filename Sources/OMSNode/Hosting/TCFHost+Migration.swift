import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// The TCF's side of a migration (protocol-spec §18): frozen while it travels, imported and
/// re-sealed at the destination, erased at the source once handed over.
extension TCFHost {
    /// Freezes a running TCF for a migration and returns its archive's plaintext: the state
    /// changes first and the keys close, so nothing is written to it after the copy is taken.
    /// The archive carries the sequence number of the location record this move will sign,
    /// which is returned with it.
    public func freezeForMigration(_ tcf: TCFID) throws -> (archive: [UInt8], locationSequence: UInt64) {
        let record = try self.tcf(tcf.description)
        guard record.state == .running else {
            throw HostingError(.stopped, "TCF \(record.name) is \(record.state): only a running TCF migrates (oms tcf start)")
        }
        let key = try key(of: tcf)
        try store.setTCFState(tcf, .moving)
        openKeys.withLock { $0[tcf] = nil }
        dataKeys.withLock { $0.removeAll() }
        do {
            var rows = try store.exportTCF(tcf)
            let sequence = try store.nextLocationSequence(tcf)
            rows.setLocationSequence(sequence)
            return (try TCFArchive.plaintext(rows: rows, tcfKey: key), sequence)
        } catch {
            try? unfreeze(tcf)
            throw error
        }
    }

    /// Runs a frozen TCF again: its migration failed, and it never left.
    public func unfreeze(_ tcf: TCFID) throws {
        guard try store.tcf(tcf)?.state == .moving else { return }
        _ = try run(tcf)
    }

    /// The TCF's owner key, opened from the store whatever the TCF's state: the source signs the
    /// location record with it after the hand-over, across a restart.
    public func ownerKey(of tcf: TCFID) throws -> Ed25519.PrivateKey {
        guard let record = try store.tcf(tcf) else { throw HostingError(.notFound, "no TCF \(tcf) on this node") }
        let secrets = try store.tcfSecrets(tcf)
        let key = try TCFSealing.unwrap(secrets.wrappedKey, tcf: tcf, under: wrappingKey)
        return try TCFSealing.open(secrets.sealedOwner, publicKey: Array(record.ownerKey), tcf: tcf, under: key)
    }

    /// Imports a migrated TCF's archive, or changes nothing: it must be the TCF offered, every
    /// sealed key must open with the key it carries, nothing may clash with what is here, and
    /// the TCF key is wrapped under this node's key (re-sealed) in the same transaction as the
    /// rows and the receipt given for them.
    public func importMigrated(_ plaintext: [UInt8], expected: TCFID, receipt: (migration: MigrationID, frame: [UInt8])) throws -> TCFRecord {
        let (rows, key) = try TCFArchive.contents(of: plaintext)
        guard rows.tcf == expected else {
            throw HostingError(.badArchive, "the archive holds TCF \(rows.tcf.short), not \(expected.short), the one offered")
        }
        try TCFArchiveCheck.keysOpen(rows, under: key)
        try store.importTCF(rows, wrappedKey: TCFSealing.wrap(key, tcf: rows.tcf, under: wrappingKey), state: .running, receipt: receipt)
        openKeys.withLock { $0[rows.tcf] = key }
        guard let record = try store.tcf(rows.tcf) else { throw HostingError(.notFound, "TCF \(rows.tcf) did not import") }
        return record
    }

    /// Erases a TCF handed over to another node: its key first, then its data. False if the
    /// WAL could not be truncated at once.
    @discardableResult
    public func eraseMigrated(_ tcf: TCFID) throws -> Bool {
        openKeys.withLock { $0[tcf] = nil }
        dataKeys.withLock { $0.removeAll() }
        return try store.eraseTCF(tcf)
    }
}
