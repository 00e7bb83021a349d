import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol

/// A hosted TCF as the owner sees it. Secrets stay in the store; these records are what the
/// API and the CLI show.
public struct TCFRecord: Codable, Sendable, Hashable {
    public var id: TCFID
    public var name: Name
    /// The owner's Ed25519 public key (base64 in JSON, as all bytes are): the TCF's authority, not the node's.
    public var ownerKey: Data
    public var state: TCFState
    public var createdAt: Date

    public init(id: TCFID, name: Name, ownerKey: Data, state: TCFState, createdAt: Date) {
        self.id = id
        self.name = name
        self.ownerKey = ownerKey
        self.state = state
        self.createdAt = createdAt
    }
}

public struct TCCRecord: Codable, Sendable, Hashable {
    /// The TCC's root public key, which signs its claims and audit checkpoints.
    public var id: TCCID
    public var tcf: TCFID
    public var kind: TCCKind
    public var name: Name
    public var createdAt: Date

    public init(id: TCCID, tcf: TCFID, kind: TCCKind, name: Name, createdAt: Date) {
        self.id = id
        self.tcf = tcf
        self.kind = kind
        self.name = name
        self.createdAt = createdAt
    }
}

public struct PersonaRecord: Codable, Sendable, Hashable {
    public var id: PersonaID
    public var tcc: TCCID
    /// Where the persona is used: a community, an app, a shop.
    public var context: Name
    public var createdAt: Date

    public init(id: PersonaID, tcc: TCCID, context: Name, createdAt: Date) {
        self.id = id
        self.tcc = tcc
        self.context = context
        self.createdAt = createdAt
    }
}

public struct PersonaLinkRecord: Codable, Sendable, Hashable {
    public var first: PersonaID
    public var second: PersonaID
    public var linkedAt: UInt64
    /// The signed link (`oms/persona-link`), to hand to whoever the owner chooses.
    public var envelope: Data

    public init(first: PersonaID, second: PersonaID, linkedAt: UInt64, envelope: Data) {
        self.first = first
        self.second = second
        self.linkedAt = linkedAt
        self.envelope = envelope
    }
}

/// A claim a TCC issued, or one about it that it holds.
public struct ClaimRecord: Codable, Sendable, Hashable {
    public enum Role: String, Codable, Sendable {
        case issued
        case held
    }

    public var id: ObjectID
    public var tcc: TCCID
    public var role: Role
    public var issuer: String
    public var subject: String
    public var type: ClaimType
    public var value: String
    public var issued: UInt64
    public var expires: UInt64
    public var revocable: Bool
    public var revoked: Bool
    public var envelope: Data

    public init(id: ObjectID, tcc: TCCID, role: Role, issuer: String, subject: String, type: ClaimType, value: String, issued: UInt64, expires: UInt64, revocable: Bool, revoked: Bool, envelope: Data) {
        self.id = id
        self.tcc = tcc
        self.role = role
        self.issuer = issuer
        self.subject = subject
        self.type = type
        self.value = value
        self.issued = issued
        self.expires = expires
        self.revocable = revocable
        self.revoked = revoked
        self.envelope = envelope
    }
}

public struct RelationshipRecord: Codable, Sendable, Hashable {
    public var tcc: TCCID
    /// Whom the TCC is connected to: a persona, TCC or node id.
    public var peer: String
    /// The persona this TCC shows in the relationship.
    public var persona: PersonaID?
    public var label: String
    public var createdAt: Date

    public init(tcc: TCCID, peer: String, persona: PersonaID?, label: String, createdAt: Date) {
        self.tcc = tcc
        self.peer = peer
        self.persona = persona
        self.label = label
        self.createdAt = createdAt
    }
}

public struct MembershipRecord: Codable, Sendable, Hashable {
    public var tcc: TCCID
    public var community: TCCID
    public var persona: PersonaID?
    public var role: Name
    public var joinedAt: Date

    public init(tcc: TCCID, community: TCCID, persona: PersonaID?, role: Name, joinedAt: Date) {
        self.tcc = tcc
        self.community = community
        self.persona = persona
        self.role = role
        self.joinedAt = joinedAt
    }
}

/// One version of a named policy document (YAML, `PolicyDocument`): a TCC's rule engine
/// applies the current version of every document it holds. Versions count from 1; every
/// version ever set is kept, and setting one is audited.
public struct PolicyRecord: Codable, Sendable, Hashable {
    public var tcc: TCCID
    public var name: Name
    public var version: Int
    public var body: String
    public var updatedAt: Date

    public init(tcc: TCCID, name: Name, version: Int, body: String, updatedAt: Date) {
        self.tcc = tcc
        self.name = name
        self.version = version
        self.body = body
        self.updatedAt = updatedAt
    }
}
