import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// A hosted TCF made the way `TCFHost` makes one (random id, fresh TCF key wrapped for the node,
/// owner key sealed under it), with its secrets kept so tests can open what the store holds.
struct HostedTCF {
    /// Whole seconds: the store keeps dates to the millisecond, so records compare equal.
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    let record: TCFRecord
    let owner: Ed25519.PrivateKey
    let key: SecureBytes

    var id: TCFID { record.id }

    /// A TCF not yet stored, with the secrets `insertTCF` wants.
    static func make(_ name: String, node: Ed25519.PrivateKey) throws -> (
        tcf: HostedTCF, wrappedKey: [UInt8], sealedOwner: [UInt8]
    ) {
        let id = try TCFID(bytes: SecureRandom.bytes(32))
        let owner = Ed25519.PrivateKey()
        let key = TCFSealing.newTCFKey()
        let record = TCFRecord(
            id: id, name: try Name(name), ownerKey: Data(owner.publicKey.rawRepresentation), state: .running,
            createdAt: date)
        return (
            HostedTCF(record: record, owner: owner, key: key),
            TCFSealing.wrap(key, tcf: id, under: TCFSealing.wrappingKey(nodeIdentity: node)),
            TCFSealing.seal(owner, tcf: id, under: key)
        )
    }

    static func insert(_ name: String, into store: NodeStore, node: Ed25519.PrivateKey) throws -> HostedTCF {
        let made = try make(name, node: node)
        try store.insertTCF(made.tcf.record, wrappedKey: made.wrappedKey, sealedOwner: made.sealedOwner)
        return made.tcf
    }

    /// A TCC of this TCF with its root key and that key sealed, not yet stored.
    func makeTCC(_ name: String, kind: TCCKind = .private) throws -> HostedTCC {
        let root = Ed25519.PrivateKey()
        let record = TCCRecord(
            id: try TCCID(bytes: root.publicKey.rawRepresentation), tcf: id, kind: kind, name: try Name(name),
            createdAt: Self.date)
        return HostedTCC(record: record, key: root, sealedKey: TCFSealing.seal(root, tcf: id, under: key))
    }

    func insertTCC(_ name: String, into store: NodeStore, kind: TCCKind = .private) throws -> HostedTCC {
        let tcc = try makeTCC(name, kind: kind)
        try store.insertTCC(tcc.record, sealedKey: tcc.sealedKey)
        return tcc
    }

    /// A persona of `tcc` with its own key, sealed under this TCF's key, stored.
    func insertPersona(_ context: String, of tcc: HostedTCC, into store: NodeStore) throws -> HostedPersona {
        let key = Ed25519.PrivateKey()
        let record = PersonaRecord(
            id: try PersonaID(bytes: key.publicKey.rawRepresentation), tcc: tcc.id, context: try Name(context),
            createdAt: Self.date)
        try store.insertPersona(record, sealedKey: TCFSealing.seal(key, tcf: id, under: self.key))
        return HostedPersona(record: record, key: key)
    }
}

struct HostedTCC {
    let record: TCCRecord
    let key: Ed25519.PrivateKey
    let sealedKey: [UInt8]

    var id: TCCID { record.id }
    var party: PartyID { .tcc(record.id) }
}

struct HostedPersona {
    let record: PersonaRecord
    let key: Ed25519.PrivateKey

    var id: PersonaID { record.id }
    var party: PartyID { .persona(record.id) }
}

/// A claim signed by `issuer`'s key, valid for a day from `issued`.
func signedClaim(
    by issuer: PartyID, key: Ed25519.PrivateKey, about subject: PartyID, type: String, value: String = "yes",
    revocationID: [UInt8]? = nil, issued: UInt64 = 1_700_000_000
) throws -> SignedClaim {
    try Claim(
        issuer: issuer, subject: subject, type: try ClaimType(type), value: value, issued: issued,
        expires: issued + 86_400,
        revocationID: revocationID
    ).signed(with: key)
}

/// Runs `body` and returns the `HostingError` it threw; records an issue if it threw nothing or
/// something else.
func hostingError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> HostingError? {
    do {
        _ = try body()
        Issue.record("expected a HostingError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as HostingError {
        return error
    } catch {
        Issue.record("expected a HostingError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The number of rows of every hosting and audit table, read from the SQLite file itself.
func rowCounts(_ directory: DataDirectory) throws -> [String: Int] {
    let tables = [
        "tcf", "tcc", "persona", "persona_link", "claim", "claim_revocation", "relationship", "membership", "policy",
        "audit_entry", "audit_checkpoint", "policy_version", "stream", "data_key", "device", "ingest_batch", "record_block",
        "privacy_spend", "exchange",
    ]
    let queue = try DatabaseQueue(path: directory.database.path)
    return try queue.read { db in
        try Dictionary(
            uniqueKeysWithValues: tables.map { ($0, try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? -1) })
    }
}

extension TCFRows {
    /// Equal when every table has the same name, columns and rows in the same order.
    func sameRows(as other: TCFRows) -> Bool {
        tcf == other.tcf && tables.count == other.tables.count
            && zip(tables, other.tables).allSatisfy {
                $0.name == $1.name && $0.columns == $1.columns && $0.rows == $1.rows
            }
    }

    func table(_ name: String) -> Table? { tables.first { $0.name == name } }
}
