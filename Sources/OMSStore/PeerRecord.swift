import Foundation
import GRDB
import OMSProtocol

/// A node this node dials: configured by the owner, or learned from a peer's peer list.
public struct PeerRecord: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "peer"

    public enum Source: String, Sendable, Codable {
        /// Added by the owner (`oms peer add`, `--peer`); kept until removed.
        case configured
        /// Heard of through peer exchange.
        case learned
    }

    public var endpoint: Endpoint
    public var nodeID: NodeID?
    public var source: Source
    public var addedAt: Date
    public var lastConnectedAt: Date?

    public init(endpoint: Endpoint, nodeID: NodeID?, source: Source, addedAt: Date, lastConnectedAt: Date? = nil) {
        self.endpoint = endpoint
        self.nodeID = nodeID
        self.source = source
        self.addedAt = addedAt
        self.lastConnectedAt = lastConnectedAt
    }

    public init(row: Row) throws {
        endpoint = try Endpoint(parsing: row["address"])
        nodeID = try (row["node_id"] as Data?).map { try NodeID(bytes: Array($0)) }
        guard let source = Source(rawValue: row["source"]) else {
            throw StoreError(.corrupt, "peer \(endpoint) has unknown source '\(row["source"] as String)'")
        }
        self.source = source
        addedAt = row["added_at"]
        lastConnectedAt = row["last_connected_at"]
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["address"] = endpoint.description
        container["node_id"] = nodeID.map { Data($0.bytes) }
        container["source"] = source.rawValue
        container["added_at"] = addedAt
        container["last_connected_at"] = lastConnectedAt
    }
}
