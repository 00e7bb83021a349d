import Foundation
import OMSCore
import OMSProtocol

/// `POST /v1/tcfs/{tcf}/migrations`'s body: where to, and the owner's policy (protocol-spec §18).
public struct MigrateRequest: Codable, Sendable {
    public var to: NodeID
    /// Attestation key names (hex, from `oms node attestation` on the destination) it may have.
    public var allowAttestationKeys: [String]
    /// Expected SHA-256 PCR values (hex) by index.
    public var pcrs: [String: String]?

    public init(to: NodeID, allowAttestationKeys: [String], pcrs: [String: String]?) {
        self.to = to
        self.allowAttestationKeys = allowAttestationKeys
        self.pcrs = pcrs
    }
}

/// The location a node holds for a TCF: its owner-signed record's fields.
public struct LocationResponse: Codable, Sendable {
    public var tcf: TCFID
    public var node: NodeID
    public var sequence: UInt64
    public var atUnixMs: UInt64
    public var migration: MigrationID
    /// The owner key that signed it, hex.
    public var owner: String
}
