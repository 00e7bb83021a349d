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
