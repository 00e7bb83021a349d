import Foundation
import GRDB
import OMSCore
import OMSProtocol

/// The community logs this node replicates: each event's envelope as received, in arrival
/// order. The fold lives in memory (`CommunityLog`); this is what survives a restart.
extension NodeStore {
    /// Starts holding a community with its first events (its create event first).
    public func addCommunity(_ community: TCCID, events: [SignedCommunityEvent], at: Date) throws {
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO community (id, added_at) VALUES (?, ?)", arguments: [Data(community.bytes), at])
            try Self.append(db, community, events)
        }
    }

    /// Appends accepted events in one transaction: acknowledged only once this returns.
    public func appendCommunityEvents(_ community: TCCID, _ events: [SignedCommunityEvent]) throws {
        guard !events.isEmpty else { return }
        try write { db in try Self.append(db, community, events) }
    }

    static func append(_ db: Database, _ community: TCCID, _ events: [SignedCommunityEvent]) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO community_event (community, id, envelope) VALUES (?, ?, ?)")
        for event in events {
            try statement.execute(arguments: [Data(community.bytes), Data(event.id.bytes), Data(event.envelope.bytes)])
        }
    }

    public func communities() throws -> [TCCID] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT id FROM community ORDER BY added_at, id").map { TCCID(uncheckedBytes: Array($0)) }
        }
    }

    /// The envelopes of a community's events in the order they arrived.
    public func communityEvents(_ community: TCCID) throws -> [[UInt8]] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM community_event WHERE community = ? ORDER BY rowid", arguments: [Data(community.bytes)])
                .map { Array($0) }
        }
    }

    /// Stops holding a community: its events go.
    public func removeCommunity(_ community: TCCID) throws {
        try write { db in try db.execute(sql: "DELETE FROM community WHERE id = ?", arguments: [Data(community.bytes)]) }
    }
}

/// A member's signed answer to one of the community's questions, as the asking node keeps it.
public struct CommunityContribution: Sendable, Hashable {
    public var member: PersonaID
    /// The query's object id.
    public var question: ObjectID
    public var envelope: [UInt8]
    public var at: Int64

    public init(member: PersonaID, question: ObjectID, envelope: [UInt8], at: Int64) {
        self.member = member
        self.question = question
        self.envelope = envelope
        self.at = at
    }
}

extension NodeStore {
    public func addContributions(_ community: TCCID, _ contributions: [CommunityContribution]) throws {
        guard !contributions.isEmpty else { return }
        try write { db in
            for c in contributions {
                try db.execute(
                    sql: "INSERT INTO community_contribution (community, member, question, envelope, at_ms) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Data(community.bytes), Data(c.member.bytes), Data(c.question.bytes), Data(c.envelope), c.at])
            }
        }
    }

    /// The contributions held here, of one member or of all.
    public func contributions(_ community: TCCID, member: PersonaID? = nil) throws -> [CommunityContribution] {
        try pool.read { db in
            let rows =
                if let member {
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM community_contribution WHERE community = ? AND member = ? ORDER BY rowid",
                        arguments: [Data(community.bytes), Data(member.bytes)])
                } else {
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM community_contribution WHERE community = ? ORDER BY rowid", arguments: [Data(community.bytes)])
                }
            return rows.map { row in
                CommunityContribution(
                    member: PersonaID(uncheckedBytes: Array(row["member"] as Data)), question: ObjectID(uncheckedBytes: Array(row["question"] as Data)),
                    envelope: Array(row["envelope"] as Data), at: row["at_ms"])
            }
        }
    }

    /// Deletes every contribution of `members`; returns how many went.
    @discardableResult
    public func purgeContributions(_ community: TCCID, of members: [PersonaID]) throws -> Int {
        guard !members.isEmpty else { return 0 }
        return try write { db in
            var purged = 0
            for member in members {
                try db.execute(
                    sql: "DELETE FROM community_contribution WHERE community = ? AND member = ?", arguments: [Data(community.bytes), Data(member.bytes)])
                purged += db.changesCount
            }
            return purged
        }
    }
}
