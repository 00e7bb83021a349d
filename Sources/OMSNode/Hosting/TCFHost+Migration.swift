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
    /// The archive carries the sequence number of the location record this move will sign.
    public func freezeForMigration(_ tcf: TCFID) throws -> [UInt8] {
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
            rows.setLocationSequence(try store.nextLocationSequence(tcf))
            return try TCFArchive.plaintext(rows: rows, tcfKey: key)
        } catch {
            try? unfreeze(tcf)
            throw error
        }
    }

    /// Runs a frozen TCF again: its migration failed, and it never left.
    public func unfreeze(_ tcf: TCFID) throws {
        guard try store.tcf(tcf)?.state == .moving else { return }
        _ = try start(tcf)
    }

    /// The TCF's owner key, opened from the store whatever the TCF's state: the source signs the
    /// location record with it after the hand-over, across a restart.
    public func ownerKey(of tcf: TCFID) throws -> Ed25519.PrivateKey {
        guard let record = try store.tcf(tcf) else { throw HostingError(.notFound, "no TCF \(tcf) on this node") }
        let secrets = try store.tcfSecrets(tcf)
        let key = try TCFSealing.unwrap(secrets.wrappedKey, tcf: tcf, under: wrappingKey)
        return try TCFSealing.open(secrets.sealedOwner, publicKey: Array(record.ownerKey), tcf: tcf, under: key)
    }

    /// Imports a migrated TCF's archive, or changes nothing: every sealed key must open with the
    /// key it carries, nothing may clash with what is here, and the TCF key is wrapped under
    /// this node's key (re-sealed) in the same transaction as the rows.
    public func importMigrated(_ plaintext: [UInt8]) throws -> TCFRecord {
        let (rows, key) = try TCFArchive.contents(of: plaintext)
        try TCFArchiveCheck.keysOpen(rows, under: key)
        try store.importTCF(rows, wrappedKey: TCFSealing.wrap(key, tcf: rows.tcf, under: wrappingKey), state: .running)
        openKeys.withLock { $0[rows.tcf] = key }
        guard let record = try store.tcf(rows.tcf) else { throw HostingError(.notFound, "TCF \(rows.tcf) did not import") }
        return record
    }

    /// Erases a TCF handed over to another node: its key first, then its data.
    public func eraseMigrated(_ tcf: TCFID) throws {
        openKeys.withLock { $0[tcf] = nil }
        dataKeys.withLock { $0.removeAll() }
        try store.eraseTCF(tcf)
    }
}
