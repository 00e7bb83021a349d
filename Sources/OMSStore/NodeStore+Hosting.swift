import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol

/// The rows of hosted TCFs: TCFs, TCCs, personas, links, claims, the registry. This layer
/// stores and finds; deciding what may be stored (and sealing secrets) is `TCFHost`'s.
extension NodeStore {
    // MARK: TCFs

    public func insertTCF(_ record: TCFRecord, wrappedKey: [UInt8], sealedOwner: [UInt8]) throws {
        try write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM tcf WHERE name = ?", arguments: [record.name.rawValue]) != nil {
                throw HostingError(.duplicate, "a TCF named '\(record.name)' is already on this node")
            }
            try db.execute(
                sql: """
                    INSERT INTO tcf (id, name, owner_key, state, wrapped_key, sealed_owner, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Data(record.id.bytes), record.name.rawValue, record.ownerKey, record.state.rawValue, Data(wrappedKey),
                    Data(sealedOwner), record.createdAt,
                ])
        }
    }

    public func tcfs() throws -> [TCFRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tcf ORDER BY name").map(Self.tcfRecord) }
    }

    /// A TCF by id or by name.
    public func tcf(_ id: TCFID) throws -> TCFRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM tcf WHERE id = ?", arguments: [Data(id.bytes)]).map(Self.tcfRecord) }
    }

    public func tcf(named name: Name) throws -> TCFRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM tcf WHERE name = ?", arguments: [name.rawValue]).map(Self.tcfRecord) }
    }

    public func setTCFState(_ id: TCFID, _ state: TCFState) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE tcf SET state = ? WHERE id = ?", arguments: [state.rawValue, Data(id.bytes)])
        }
    }

    /// The TCF's wrapped key and sealed owner key.
    public func tcfSecrets(_ id: TCFID) throws -> (wrappedKey: [UInt8], sealedOwner: [UInt8]) {
        guard let row = try pool.read({ db in
            try Row.fetchOne(db, sql: "SELECT wrapped_key, sealed_owner FROM tcf WHERE id = ?", arguments: [Data(id.bytes)])
        }) else { throw HostingError(.notFound, "no TCF \(id) on this node") }
        return (Array(row["wrapped_key"] as Data), Array(row["sealed_owner"] as Data))
    }

    public func tccCount(tcf: TCFID) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tcc WHERE tcf = ?", arguments: [Data(tcf.bytes)]) ?? 0 }
    }

    // MARK: TCCs

    public func insertTCC(_ record: TCCRecord, sealedKey: [UInt8]) throws {
        try insertTCCs([(record, sealedKey)])
    }

    /// Inserts TCCs in one transaction; refuses the whole batch if any name is taken.
    public func insertTCCs(_ batch: [(record: TCCRecord, sealedKey: [UInt8])]) throws {
        try write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO tcc (id, tcf, kind, name, sealed_key, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            for (record, sealedKey) in batch {
                do {
                    try insert.execute(arguments: [
                        Data(record.id.bytes), Data(record.tcf.bytes), record.kind.rawValue, record.name.rawValue, Data(sealedKey),
                        record.createdAt,
                    ])
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
                    || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
                {
                    throw HostingError(.duplicate, "a TCC named '\(record.name)' (or with id \(record.id.short)) is already in this TCF")
                }
            }
        }
    }

    /// One primary-key lookup. The two hot lookups use statements each reader connection
    /// compiles once (`cachedStatement`): recompiling the SQL was half their time (BENCHMARKS.md §5).
    public func tcc(_ id: TCCID) throws -> TCCRecord? {
        try pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT id, tcf, kind, name, created_at FROM tcc WHERE id = ?")
            return try Row.fetchOne(statement, arguments: [Data(id.bytes)]).map(Self.tccRecord)
        }
    }

    public func tcc(named name: Name, in tcf: TCFID) throws -> TCCRecord? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, tcf, kind, name, created_at FROM tcc WHERE tcf = ? AND name = ?",
                arguments: [Data(tcf.bytes), name.rawValue]
            ).map(Self.tccRecord)
        }
    }

    /// The TCC a persona belongs to: one indexed lookup and one primary-key lookup.
    public func tcc(persona: PersonaID) throws -> TCCRecord? {
        try pool.read { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT tcc.id, tcc.tcf, tcc.kind, tcc.name, tcc.created_at FROM persona
                    JOIN tcc ON tcc.id = persona.tcc WHERE persona.id = ?
                    """)
            return try Row.fetchOne(statement, arguments: [Data(persona.bytes)]).map(Self.tccRecord)
        }
    }

    /// A page of a TCF's TCCs in name order, starting after `after`.
    public func tccs(tcf: TCFID, after: Name? = nil, limit: Int = 100) throws -> [TCCRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, tcf, kind, name, created_at FROM tcc WHERE tcf = ? AND name > ? ORDER BY name LIMIT ?",
                arguments: [Data(tcf.bytes), after?.rawValue ?? "", limit]
            ).map(Self.tccRecord)
        }
    }

    public func tccSealedKey(_ id: TCCID) throws -> [UInt8] {
        guard let data = try pool.read({ db in
            try Data.fetchOne(db, sql: "SELECT sealed_key FROM tcc WHERE id = ?", arguments: [Data(id.bytes)])
        }) else { throw HostingError(.notFound, "no TCC \(id) on this node") }
        return Array(data)
    }

    // MARK: Personas

    public func insertPersona(_ record: PersonaRecord, sealedKey: [UInt8]) throws {
        try write { db in
            if try Row.fetchOne(
                db, sql: "SELECT 1 FROM persona WHERE tcc = ? AND context = ?",
                arguments: [Data(record.tcc.bytes), record.context.rawValue]) != nil
            {
                throw HostingError(.duplicate, "this TCC already has a persona for '\(record.context)'")
            }
            try db.execute(
                sql: "INSERT INTO persona (id, tcc, context, sealed_key, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [Data(record.id.bytes), Data(record.tcc.bytes), record.context.rawValue, Data(sealedKey), record.createdAt])
        }
    }

    /// Inserts personas in one transaction, as `insertTCCs` does TCCs: for bulk creation and
    /// imports, where one transaction per persona would cost a commit (an fsync) each. Refuses
    /// the whole batch if any persona's id is taken or its TCC already has one for that
    /// context (`.duplicate`). Every persona's TCC must already be stored: a persona of an
    /// unknown TCC fails the batch with SQLite's foreign-key error.
    public func insertPersonas(_ batch: [(record: PersonaRecord, sealedKey: [UInt8])]) throws {
        try write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO persona (id, tcc, context, sealed_key, created_at) VALUES (?, ?, ?, ?, ?)")
            for (record, sealedKey) in batch {
                do {
                    try insert.execute(arguments: [
                        Data(record.id.bytes), Data(record.tcc.bytes), record.context.rawValue, Data(sealedKey), record.createdAt,
                    ])
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
                    || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
                {
                    throw HostingError(
                        .duplicate,
                        "persona \(record.id.short) is already stored, or its TCC already has a persona for '\(record.context)'")
                }
            }
        }
    }

    public func personas(tcc: TCCID) throws -> [PersonaRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, tcc, context, created_at FROM persona WHERE tcc = ? ORDER BY context",
                arguments: [Data(tcc.bytes)]
            ).map(Self.personaRecord)
        }
    }

    public func persona(_ id: PersonaID) throws -> PersonaRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, tcc, context, created_at FROM persona WHERE id = ?", arguments: [Data(id.bytes)])
                .map(Self.personaRecord)
        }
    }

    public func persona(tcc: TCCID, context: Name) throws -> PersonaRecord? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, tcc, context, created_at FROM persona WHERE tcc = ? AND context = ?",
                arguments: [Data(tcc.bytes), context.rawValue]
            ).map(Self.personaRecord)
        }
    }

    public func personaSealedKey(_ id: PersonaID) throws -> [UInt8] {
        guard let data = try pool.read({ db in
            try Data.fetchOne(db, sql: "SELECT sealed_key FROM persona WHERE id = ?", arguments: [Data(id.bytes)])
        }) else { throw HostingError(.notFound, "no persona \(id) on this node") }
        return Array(data)
    }

    public func insertPersonaLink(tcc: TCCID, _ link: PersonaLink) throws {
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO persona_link (tcc, first, second, envelope) VALUES (?, ?, ?, ?)",
                arguments: [Data(tcc.bytes), Data(link.first.bytes), Data(link.second.bytes), Data(link.envelope.bytes)])
        }
    }

    public func personaLinks(tcc: TCCID) throws -> [PersonaLink] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM persona_link WHERE tcc = ? ORDER BY rowid", arguments: [Data(tcc.bytes)])
        }.map { try PersonaLink(opening: Array($0)) }
    }

    // MARK: Claims

    public func insertClaim(_ claim: SignedClaim, tcc: TCCID, role: ClaimRecord.Role, at date: Date = Date()) throws {
        try write { db in
            if try Row.fetchOne(
                db, sql: "SELECT 1 FROM claim WHERE tcc = ? AND id = ?", arguments: [Data(tcc.bytes), Data(claim.id.bytes)]) != nil
            {
                throw HostingError(.duplicate, "this TCC already holds claim \(claim.id.short)")
            }
            try db.execute(
                sql: "INSERT INTO claim (id, tcc, role, type, subject, envelope, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    Data(claim.id.bytes), Data(tcc.bytes), role.rawValue, claim.claim.type.rawValue, claim.claim.subject.description,
                    Data(claim.envelope.bytes), date,
                ])
        }
    }

    /// The claims a TCC issued or holds, newest first, with whether each is revoked.
    public func claims(tcc: TCCID, role: ClaimRecord.Role? = nil, type: ClaimType? = nil) throws -> [ClaimRecord] {
        let rows = try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, role, envelope FROM claim WHERE tcc = ? AND (? IS NULL OR role = ?) AND (? IS NULL OR type = ?)
                    ORDER BY rowid DESC
                    """,
                arguments: [Data(tcc.bytes), role?.rawValue, role?.rawValue, type?.rawValue, type?.rawValue])
        }
        return try rows.map { row in
            let signed = try SignedClaim(opening: Array(row["envelope"] as Data))
            let roleText: String = row["role"]
            return ClaimRecord(
                signed, tcc: tcc, role: ClaimRecord.Role(rawValue: roleText) ?? .held,
                revoked: try signed.revocationKey.map(isRevoked) ?? false)
        }
    }

    /// A claim the TCC holds or issued (only those in `role`, when given).
    public func claim(_ id: ObjectID, tcc: TCCID, role: ClaimRecord.Role? = nil) throws -> SignedClaim? {
        try pool.read { db in
            try Data.fetchOne(
                db, sql: "SELECT envelope FROM claim WHERE tcc = ? AND id = ? AND (? IS NULL OR role = ?)",
                arguments: [Data(tcc.bytes), Data(id.bytes), role?.rawValue, role?.rawValue])
        }.map { try SignedClaim(opening: Array($0)) }
    }

    public func insertRevocation(_ revocation: ClaimRevocation) throws {
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO claim_revocation (issuer, revocation_id, envelope) VALUES (?, ?, ?)",
                arguments: [Data(revocation.key.issuer), Data(revocation.key.revocationID), Data(revocation.envelope.bytes)])
        }
    }

    public func isRevoked(_ key: ClaimRevocation.Key) throws -> Bool {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT 1 FROM claim_revocation WHERE issuer = ? AND revocation_id = ?",
                arguments: [Data(key.issuer), Data(key.revocationID)]) != nil
        }
    }

    // MARK: Registry

    public func upsertRelationship(_ record: RelationshipRecord) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO relationship (tcc, peer, persona, label, created_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (tcc, peer) DO UPDATE SET persona = excluded.persona, label = excluded.label
                    """,
                arguments: [Data(record.tcc.bytes), record.peer, record.persona.map { Data($0.bytes) }, record.label, record.createdAt])
        }
    }

    public func relationships(tcc: TCCID) throws -> [RelationshipRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM relationship WHERE tcc = ? ORDER BY peer", arguments: [Data(tcc.bytes)]).map { row in
                RelationshipRecord(
                    tcc: tcc, peer: row["peer"], persona: try Self.optionalID(row["persona"]), label: row["label"],
                    createdAt: row["created_at"])
            }
        }
    }

    public func upsertMembership(_ record: MembershipRecord) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO membership (tcc, community, persona, role, joined_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (tcc, community) DO UPDATE SET persona = excluded.persona, role = excluded.role
                    """,
                arguments: [
                    Data(record.tcc.bytes), Data(record.community.bytes), record.persona.map { Data($0.bytes) }, record.role.rawValue,
                    record.joinedAt,
                ])
        }
    }

    public func memberships(tcc: TCCID) throws -> [MembershipRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM membership WHERE tcc = ? ORDER BY joined_at", arguments: [Data(tcc.bytes)]).map { row in
                MembershipRecord(
                    tcc: tcc, community: try TCCID(bytes: Array(row["community"] as Data)), persona: try Self.optionalID(row["persona"]),
                    role: try Name(row["role"]), joinedAt: row["joined_at"])
            }
        }
    }

    // MARK: Rows to records

    /// A write whose hosting errors pass through unchanged.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    static func tcfRecord(_ row: Row) throws -> TCFRecord {
        guard let state = TCFState(rawValue: row["state"]) else { throw StoreError(.corrupt, "a TCF row has an unknown state") }
        return TCFRecord(
            id: try TCFID(bytes: Array(row["id"] as Data)), name: try Name(row["name"]), ownerKey: row["owner_key"], state: state,
            createdAt: row["created_at"])
    }

    static func tccRecord(_ row: Row) throws -> TCCRecord {
        guard let kind = TCCKind(rawValue: row["kind"]) else { throw StoreError(.corrupt, "a TCC row has an unknown kind") }
        return TCCRecord(
            id: try TCCID(bytes: Array(row["id"] as Data)), tcf: try TCFID(bytes: Array(row["tcf"] as Data)), kind: kind,
            name: try Name(row["name"]), createdAt: row["created_at"])
    }

    static func personaRecord(_ row: Row) throws -> PersonaRecord {
        PersonaRecord(
            id: try PersonaID(bytes: Array(row["id"] as Data)), tcc: try TCCID(bytes: Array(row["tcc"] as Data)),
            context: try Name(row["context"]), createdAt: row["created_at"])
    }

    static func optionalID<ID: Identifier>(_ data: Data?) throws -> ID? {
        try data.map { try ID(bytes: Array($0)) }
    }
}

extension ClaimRecord {
    public init(_ signed: SignedClaim, tcc: TCCID, role: Role, revoked: Bool) {
        let claim = signed.claim
        self.init(
            id: signed.id, tcc: tcc, role: role, issuer: claim.issuer.description, subject: claim.subject.description,
            type: claim.type, value: claim.value, issued: claim.issued, expires: claim.expires, revocable: claim.revocationID != nil,
            revoked: revoked, envelope: Data(signed.envelope.bytes))
    }
}
