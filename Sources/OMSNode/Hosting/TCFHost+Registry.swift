import Foundation
import OMSCore
import OMSProtocol
import OMSStore

/// The TCC's registry: whom it is connected to (and as which persona), what it is a member
/// of, and its policies (`TCFHost+Policy`). Every change is audited.
extension TCFHost {
    public func connect(_ tcc: TCCRecord, to peer: PartyID, as persona: PersonaRecord?, label: String) throws -> RelationshipRecord {
        guard label.utf8.count <= 200 else { throw HostingError(.invalidArgument, "a label is at most 200 bytes") }
        let record = RelationshipRecord(tcc: tcc.id, peer: peer.description, persona: persona?.id, label: label, createdAt: now())
        try store.upsertRelationship(record)
        try audit(tcc, .relationship, ["peer": peer.description, "persona": persona?.id.description ?? "", "label": label])
        return record
    }

    public func recordMembership(_ tcc: TCCRecord, of community: TCCID, as persona: PersonaRecord?, role: Name) throws -> MembershipRecord {
        let record = MembershipRecord(tcc: tcc.id, community: community, persona: persona?.id, role: role, joinedAt: now())
        try store.upsertMembership(record)
        try audit(tcc, .membership, ["community": community.description, "role": role.rawValue, "persona": persona?.id.description ?? ""])
        return record
    }

    public func registry(of tcc: TCCRecord) throws -> Registry {
        Registry(
            relationships: try store.relationships(tcc: tcc.id), memberships: try store.memberships(tcc: tcc.id),
            policies: try store.policies(tcc: tcc.id))
    }
}

/// Everything a TCC's registry holds, as the API returns it.
public struct Registry: Codable, Sendable {
    public var relationships: [RelationshipRecord]
    public var memberships: [MembershipRecord]
    public var policies: [PolicyRecord]
}
