import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Synchronization

/// Hosts the node's TCFs: creates them and their TCCs and personas, keeps the keys of running
/// TCFs open, and does everything that signs with those keys (claims, links, sign-in answers),
/// writing each use to the TCC's audit log. The owner API and the CLI go through here; the
/// store below only keeps rows.
///
/// Thread-safe: the store serialises writes, the open keys sit behind a mutex.
public final class TCFHost: Sendable {
    public let store: NodeStore
    let wrappingKey: SecureBytes
    let openKeys = Mutex<[TCFID: SecureBytes]>([:])
    /// Data keys of TCCs that were read or written since their TCF was last opened.
    let dataKeys = Mutex<[TCCID: SecureBytes]>([:])
    /// Each TCC's policies combined and compiled, with the versions they were built from.
    let compiledPolicies = Mutex<[TCCID: (versions: [String], document: PolicyDocument)]>([:])
    /// The host's clock; tests move it.
    public let now: @Sendable () -> Date
    let archiveParameters: Argon2id.Parameters
    /// Uniform draws in (0, 1) for the Laplace noise of answers; tests pass their own.
    let uniform: @Sendable () -> Double

    /// TCFs that were running but whose key did not open at start (e.g. a database copied from
    /// another node): they stay closed, and the node says so rather than refusing to run.
    public let unopened: [TCFID: String]

    /// Opens the keys of every TCF that was running when the node last stopped.
    public init(
        store: NodeStore, nodeIdentity: Ed25519.PrivateKey, archiveParameters: Argon2id.Parameters = .moderate,
        now: @escaping @Sendable () -> Date = Date.init, uniform: @escaping @Sendable () -> Double = UniformDraw.secure
    ) throws {
        self.store = store
        self.uniform = uniform
        wrappingKey = TCFSealing.wrappingKey(nodeIdentity: nodeIdentity)
        self.archiveParameters = archiveParameters
        self.now = now
        var unopened: [TCFID: String] = [:]
        for tcf in try store.tcfs() where tcf.state == .running {
            do {
                let key = try TCFSealing.unwrap(try store.tcfSecrets(tcf.id).wrappedKey, tcf: tcf.id, under: wrappingKey)
                openKeys.withLock { $0[tcf.id] = key }
            } catch {
                unopened[tcf.id] = "\(error)"
            }
        }
        self.unopened = unopened
    }

    /// The host's clock in Unix seconds, as claims and sign-ins count time.
    public var unixNow: UInt64 { UInt64(max(0, now().timeIntervalSince1970)) }

    /// The host's clock in Unix milliseconds, as queries and community events count time.
    public var unixNowMs: UInt64 { UInt64(max(0, now().timeIntervalSince1970 * 1000)) }

    // MARK: TCFs

    public func createTCF(name: Name) throws -> TCFRecord {
        let owner = Ed25519.PrivateKey()
        let id = TCFID(owner: owner.publicKey)
        let key = TCFSealing.newTCFKey()
        let record = TCFRecord(
            id: id, name: name, ownerKey: Data(owner.publicKey.rawRepresentation), state: .running, createdAt: now())
        try store.insertTCF(
            record, wrappedKey: TCFSealing.wrap(key, tcf: id, under: wrappingKey),
            sealedOwner: TCFSealing.seal(owner, tcf: id, under: key))
        openKeys.withLock { $0[id] = key }
        return record
    }

    public func tcfs() throws -> [TCFRecord] { try store.tcfs() }

    /// A TCF by its id or its name, as the owner typed it.
    public func tcf(_ reference: String) throws -> TCFRecord {
        if let id = TCFID(reference), let found = try store.tcf(id) { return found }
        if let name = try? Name(reference), let found = try store.tcf(named: name) { return found }
        throw HostingError(.notFound, "no TCF '\(reference.printable(limit: 100))' on this node (see 'oms tcf list')")
    }

    /// Closes the TCF's keys: it keeps its data and answers nothing until started.
    public func stop(_ tcf: TCFID) throws -> TCFRecord {
        try refuseIfMoving(tcf)
        try store.setTCFState(tcf, .stopped)
        closeKeys(of: tcf)
        return try record(tcf)
    }

    public func start(_ tcf: TCFID) throws -> TCFRecord {
        try refuseIfMoving(tcf)
        return try run(tcf)
    }

    /// Opens the TCF's keys and runs it, whatever its state (a failed migration's unfreeze).
    func run(_ tcf: TCFID) throws -> TCFRecord {
        try open(tcf)
        try store.setTCFState(tcf, .running)
        return try record(tcf)
    }

    /// A TCF frozen for a migration is the migration's: it ends it, running the TCF here
    /// again or erasing it (a start now could leave it running on two nodes).
    private func refuseIfMoving(_ tcf: TCFID) throws {
        guard try store.tcf(tcf)?.state == .moving else { return }
        throw HostingError(.stopped, "TCF \(tcf.short) is moving to another node: the migration decides where it runs (oms tcf migrate shows it)")
    }

    private func open(_ tcf: TCFID) throws {
        let key = try TCFSealing.unwrap(try store.tcfSecrets(tcf).wrappedKey, tcf: tcf, under: wrappingKey)
        openKeys.withLock { $0[tcf] = key }
    }

    private func record(_ tcf: TCFID) throws -> TCFRecord {
        guard let record = try store.tcf(tcf) else { throw HostingError(.notFound, "no TCF \(tcf) on this node") }
        return record
    }

    /// Forgets the TCF's key and every data key (they reopen on demand from running TCFs).
    private func closeKeys(of tcf: TCFID) {
        openKeys.withLock { $0[tcf] = nil }
        dataKeys.withLock { $0.removeAll() }
    }

    func key(of tcf: TCFID) throws -> SecureBytes {
        guard let key = openKeys.withLock({ $0[tcf] }) else {
            throw HostingError(.stopped, "TCF \(tcf.short) is stopped: start it with 'oms tcf start'")
        }
        return key
    }

    // MARK: Archives

    /// The whole TCF as one encrypted file's bytes. The TCF must be running (its key open).
    public func archive(_ tcf: TCFID, passphrase: String) throws -> [UInt8] {
        guard !passphrase.isEmpty else { throw HostingError(.invalidArgument, "an archive needs a passphrase") }
        return try TCFArchive.seal(rows: try store.exportTCF(tcf), tcfKey: try key(of: tcf), passphrase: passphrase, parameters: archiveParameters)
    }

    /// Restores an archive, or changes nothing: the file must open, every sealed key in it must
    /// open with the key it carries, and nothing in it may clash with what is here.
    public func restore(_ bytes: [UInt8], passphrase: String) throws -> TCFRecord {
        let (rows, key) = try TCFArchive.open(bytes, passphrase: passphrase)
        try TCFArchiveCheck.keysOpen(rows, under: key)
        try store.importTCF(rows, wrappedKey: TCFSealing.wrap(key, tcf: rows.tcf, under: wrappingKey))
        try store.setTCFState(rows.tcf, .running)
        openKeys.withLock { $0[rows.tcf] = key }
        return try record(rows.tcf)
    }

    /// Deletes a TCF from this node (after archiving it, or to move it): data, keys, logs.
    public func remove(_ tcf: TCFID) throws {
        try refuseIfMoving(tcf)
        try store.deleteTCF(tcf)
        closeKeys(of: tcf)
    }

    // MARK: TCCs

    public func createTCC(in tcf: TCFID, kind: TCCKind, name: Name) throws -> TCCRecord {
        let key = try key(of: tcf)
        let root = Ed25519.PrivateKey()
        let record = TCCRecord(
            id: TCCID(uncheckedBytes: root.publicKey.rawRepresentation), tcf: tcf, kind: kind, name: name, createdAt: now())
        try store.insertTCC(record, sealedKey: TCFSealing.seal(root, tcf: tcf, under: key))
        try audit(record, .keyUse, ["action": "tcc.create", "kind": kind.rawValue, "name": name.rawValue])
        return record
    }

    /// A TCC by id, or by name within `tcf` (or within the only TCF there is).
    public func tcc(_ reference: String, in tcf: String? = nil) throws -> TCCRecord {
        if let id = TCCID(reference), let found = try store.tcc(id) { return found }
        if let name = try? Name(reference) {
            let scope = try tcf.map { [try self.tcf($0)] } ?? store.tcfs()
            let found = try scope.compactMap { try store.tcc(named: name, in: $0.id) }
            if found.count == 1 { return found[0] }
            if found.count > 1 {
                throw HostingError(.invalidArgument, "several TCFs have a TCC named '\(name)': say which with --tcf")
            }
        }
        throw HostingError(.notFound, "no TCC '\(reference.printable(limit: 100))' on this node (see 'oms tcc list')")
    }

    public func tccs(in tcf: TCFID, after: Name? = nil, limit: Int = 100) throws -> [TCCRecord] {
        try store.tccs(tcf: tcf, after: after, limit: min(max(limit, 1), 1000))
    }

    func rootKey(of tcc: TCCRecord) throws -> Ed25519.PrivateKey {
        try TCFSealing.open(try store.tccSealedKey(tcc.id), publicKey: tcc.id.bytes, tcf: tcc.tcf, under: try key(of: tcc.tcf))
    }

    // MARK: Personas

    /// A new persona with its own random key, for one context. Only private TCCs have
    /// personas: they are how a person shows different faces; a community is one face.
    public func createPersona(in tcc: TCCRecord, context: Name) throws -> PersonaRecord {
        guard tcc.kind == .private else {
            throw HostingError(.notAllowed, "personas belong to private TCCs; \(tcc.name) is a \(tcc.kind) TCC")
        }
        let key = Ed25519.PrivateKey()
        let record = PersonaRecord(id: PersonaID(uncheckedBytes: key.publicKey.rawRepresentation), tcc: tcc.id, context: context, createdAt: now())
        try store.insertPersona(record, sealedKey: TCFSealing.seal(key, tcf: tcc.tcf, under: try self.key(of: tcc.tcf)))
        try audit(tcc, .keyUse, ["action": "persona.create", "persona": record.id.description, "context": context.rawValue])
        return record
    }

    public func personas(of tcc: TCCRecord) throws -> [PersonaRecord] { try store.personas(tcc: tcc.id) }

    /// The persona of `tcc` for `context`, made on first use.
    public func persona(of tcc: TCCRecord, context: Name) throws -> PersonaRecord {
        try store.persona(tcc: tcc.id, context: context) ?? createPersona(in: tcc, context: context)
    }

    /// A persona of `tcc` by id or context name.
    public func persona(_ reference: String, of tcc: TCCRecord) throws -> PersonaRecord {
        if let id = PersonaID(reference), let found = try store.persona(id), found.tcc == tcc.id { return found }
        if let context = try? Name(reference), let found = try store.persona(tcc: tcc.id, context: context) { return found }
        throw HostingError(.notFound, "\(tcc.name) has no persona '\(reference.printable(limit: 100))' (see 'oms persona list')")
    }

    func personaKey(_ persona: PersonaRecord, of tcc: TCCRecord) throws -> Ed25519.PrivateKey {
        try TCFSealing.open(try store.personaSealedKey(persona.id), publicKey: persona.id.bytes, tcf: tcc.tcf, under: try key(of: tcc.tcf))
    }

    /// Signs, with both keys, that two personas of `tcc` are the same owner.
    public func link(_ first: PersonaRecord, _ second: PersonaRecord, of tcc: TCCRecord) throws -> PersonaLinkRecord {
        let link = try PersonaLink.link(try personaKey(first, of: tcc), try personaKey(second, of: tcc), at: unixNow)
        try store.insertPersonaLink(tcc: tcc.id, link)
        try audit(tcc, .keyUse, ["action": "persona.link", "first": first.id.description, "second": second.id.description])
        return PersonaLinkRecord(link)
    }

    public func links(of tcc: TCCRecord) throws -> [PersonaLinkRecord] {
        try store.personaLinks(tcc: tcc.id).map(PersonaLinkRecord.init)
    }

    // MARK: Audit

    /// Appends to the TCC's log, with a checkpoint of the new head signed by the TCC's key.
    @discardableResult
    public func audit(_ tcc: TCCRecord, _ kind: AuditKind, _ detail: [String: String]) throws -> AuditEntry {
        try store.appendAudit(tcc: tcc.id, kind: kind, detail: try Self.json(detail), at: now(), checkpointWith: try rootKey(of: tcc))
    }

    /// An audit entry's detail as it is stored: JSON with sorted keys.
    static func json(_ detail: [String: String]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: detail, options: [.sortedKeys]))
    }

    public func auditEntries(of tcc: TCCRecord, since: Date? = nil, kind: AuditKind? = nil) throws -> [AuditEntry] {
        let sinceMs = since.map { UInt64(max(0, $0.timeIntervalSince1970 * 1000)) } ?? 0
        return try store.auditEntries(tcc: tcc.id, since: sinceMs, kind: kind)
    }

    public func verifyAudit(of tcc: TCCRecord) throws -> AuditVerification {
        try store.verifyAudit(tcc: tcc.id, owner: try Ed25519.PublicKey(rawRepresentation: tcc.id.bytes))
    }
}

extension PersonaLinkRecord {
    init(_ link: PersonaLink) {
        self.init(first: link.first, second: link.second, linkedAt: link.linkedAt, envelope: Data(link.envelope.bytes))
    }
}
