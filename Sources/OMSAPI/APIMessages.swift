import Foundation
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

// The JSON bodies of the owner API (protocol-spec/owner-api.yaml). Requests and answers are
// shared by the server and `OwnerAPIClient`, so the two cannot drift apart. Byte strings
// (envelopes, archives) are base64, as JSONEncoder writes `Data`.

public struct AddPeerRequest: Codable, Sendable {
    public var address: String
    public init(address: String) { self.address = address }
}

public struct ChangedResponse: Codable, Sendable {
    public var changed: Bool
    public init(changed: Bool) { self.changed = changed }
}

public struct SendNoteRequest: Codable, Sendable {
    public var text: String
    public var to: NodeID?
    public init(text: String, to: NodeID?) {
        self.text = text
        self.to = to
    }
}

public struct SendNoteResponse: Codable, Sendable {
    public var recipients: [NodeID]
    public init(recipients: [NodeID]) { self.recipients = recipients }
}

public struct CreateTCFRequest: Codable, Sendable {
    public var name: String
    public init(name: String) { self.name = name }
}

public struct TCFDetail: Codable, Sendable {
    public var tcf: TCFRecord
    public var tccCount: Int
    public init(tcf: TCFRecord, tccCount: Int) {
        self.tcf = tcf
        self.tccCount = tccCount
    }
}

public struct ArchiveRequest: Codable, Sendable {
    public var passphrase: String
    public init(passphrase: String) { self.passphrase = passphrase }
}

public struct RestoreRequest: Codable, Sendable {
    public var passphrase: String
    public var archive: Data
    public init(passphrase: String, archive: Data) {
        self.passphrase = passphrase
        self.archive = archive
    }
}

public struct CreateTCCRequest: Codable, Sendable {
    public var kind: TCCKind
    public var name: String
    public init(kind: TCCKind, name: String) {
        self.kind = kind
        self.name = name
    }
}

public struct CreatePersonaRequest: Codable, Sendable {
    public var context: String
    public init(context: String) { self.context = context }
}

public struct LinkPersonasRequest: Codable, Sendable {
    public var first: String
    public var second: String
    public init(first: String, second: String) {
        self.first = first
        self.second = second
    }
}

public struct IssueClaimRequest: Codable, Sendable {
    /// The persona that issues (id or context); the TCC's root key when absent.
    public var persona: String?
    public var subject: String
    public var type: String
    public var value: String
    public var validForSeconds: UInt64
    public var revocable: Bool
    public init(persona: String?, subject: String, type: String, value: String, validForSeconds: UInt64, revocable: Bool) {
        self.persona = persona
        self.subject = subject
        self.type = type
        self.value = value
        self.validForSeconds = validForSeconds
        self.revocable = revocable
    }
}

public struct EnvelopeBody: Codable, Sendable {
    public var envelope: Data
    public init(envelope: Data) { self.envelope = envelope }
}

public struct PresentRequest: Codable, Sendable {
    public var audience: String
    /// The verifier's nonce, 32 bytes as hex.
    public var nonce: String
    public init(audience: String, nonce: String) {
        self.audience = audience
        self.nonce = nonce
    }
}

public struct VerifyRequest: Codable, Sendable {
    public var envelope: Data
    /// For presentations: whom it must be for, and the nonce (hex) the verifier chose.
    public var audience: String?
    public var nonce: String?
    public init(envelope: Data, audience: String?, nonce: String?) {
        self.envelope = envelope
        self.audience = audience
        self.nonce = nonce
    }
}

/// The verdict on a claim or presentation: `valid`, or the refusal's code and reason.
public struct Verification: Codable, Sendable {
    public var valid: Bool
    /// `claim` or `presentation`.
    public var kind: String
    public var claim: ClaimSummary?
    public var presenter: String?
    public var error: APIErrorBody.Detail?
    public init(valid: Bool, kind: String, claim: ClaimSummary?, presenter: String?, error: APIErrorBody.Detail?) {
        self.valid = valid
        self.kind = kind
        self.claim = claim
        self.presenter = presenter
        self.error = error
    }
}

public struct ClaimSummary: Codable, Sendable {
    public var id: ObjectID
    public var issuer: String
    public var subject: String
    public var type: String
    public var value: String
    public var issued: UInt64
    public var expires: UInt64
    public init(_ signed: SignedClaim) {
        id = signed.id
        issuer = signed.claim.issuer.description
        subject = signed.claim.subject.description
        type = signed.claim.type.rawValue
        value = signed.claim.value
        issued = signed.claim.issued
        expires = signed.claim.expires
    }
}

public struct AuditEntryBody: Codable, Sendable {
    public var sequence: UInt64
    public var time: Date
    public var kind: String
    public var detail: String
    public var hash: String
    public init(_ entry: AuditEntry) {
        sequence = entry.sequence
        time = Date(timeIntervalSince1970: Double(entry.time) / 1000)
        kind = entry.kind.rawValue
        detail = String(decoding: entry.detail, as: UTF8.self)
        hash = entry.hash.hex
    }
}

public struct AuditVerificationBody: Codable, Sendable {
    public struct Problem: Codable, Sendable {
        public var kind: String
        public var sequence: UInt64
        public var message: String
    }

    public var intact: Bool
    public var entries: Int
    public var checkpoints: Int
    public var problems: [Problem]
}

public struct RelationshipRequest: Codable, Sendable {
    public var peer: String
    public var persona: String?
    public var label: String
    public init(peer: String, persona: String?, label: String) {
        self.peer = peer
        self.persona = persona
        self.label = label
    }
}

public struct MembershipRequest: Codable, Sendable {
    public var community: TCCID
    public var persona: String?
    public var role: String
    public init(community: TCCID, persona: String?, role: String) {
        self.community = community
        self.persona = persona
        self.role = role
    }
}

/// A policy document's YAML text (`oms policy set`).
public struct SetPolicyRequest: Codable, Sendable {
    public var yaml: String
    public init(yaml: String) { self.yaml = yaml }
}

public struct AddDeviceRequest: Codable, Sendable {
    public var name: String
    public var streams: [String]
    public init(name: String, streams: [String]) {
        self.name = name
        self.streams = streams
    }
}

/// A new device and its token, which is shown this once.
public struct AddedDevice: Codable, Sendable {
    public var device: DeviceRecord
    public var token: String
    public init(device: DeviceRecord, token: String) {
        self.device = device
        self.token = token
    }
}

/// A stream the TCC can hold: built in or declared, with what the index says it holds.
public struct StreamBody: Codable, Sendable {
    public var name: StreamName
    public var builtIn: Bool
    public var schema: StreamSchema
    public var records: Int
    public var first: Date?
    public var last: Date?
    public init(name: StreamName, builtIn: Bool, schema: StreamSchema, records: Int, first: Date?, last: Date?) {
        self.name = name
        self.builtIn = builtIn
        self.schema = schema
        self.records = records
        self.first = first
        self.last = last
    }
}

/// A dry run of a query against the TCC's policies (`oms policy test`).
public struct PolicyTestRequest: Codable, Sendable {
    /// The requester: a persona or TCC id.
    public var requester: String
    public var action: PolicyAction
    public var stream: String
    public var module: String?
    public var from: Date?
    public var to: Date?
    /// A region as latitude, longitude and radius in metres.
    public var region: [Double]?
    public var purpose: String?
    /// Communities the requester is taken to be a member of, and claims it is taken to hold
    /// (as "type" or "type@issuer"), for what-if questions.
    public var memberOf: [TCCID]?
    public var claims: [String]?
    public init(
        requester: String, action: PolicyAction, stream: String, module: String?, from: Date?, to: Date?, region: [Double]?, purpose: String?,
        memberOf: [TCCID]?, claims: [String]?
    ) {
        self.requester = requester
        self.action = action
        self.stream = stream
        self.module = module
        self.from = from
        self.to = to
        self.region = region
        self.purpose = purpose
        self.memberOf = memberOf
        self.claims = claims
    }
}

public struct PolicyDecisionBody: Codable, Sendable {
    public var effect: String
    public var rules: [String]
    public var reason: String
    public var minimumCount: Int?
    public var epsilon: Double?
    public var budget: Double?
    public var rate: String?
    public init(_ decision: PolicyDecision) {
        effect = decision.effect.rawValue
        rules = decision.rules
        reason = decision.reason
        minimumCount = decision.obligations.minimumCount
        epsilon = decision.obligations.epsilon
        budget = decision.obligations.budget
        rate = decision.obligations.rate.map { "\($0.count) per \($0.seconds) s" }
    }
}

/// A sign-in challenge as an app hands it out, and as the owner passes it to their TCC.
public struct ChallengeBody: Codable, Sendable {
    public var audience: String
    /// 32 bytes, hex.
    public var nonce: String
    public var expires: UInt64
    public init(audience: String, nonce: String, expires: UInt64) {
        self.audience = audience
        self.nonce = nonce
        self.expires = expires
    }
}

public struct SignInRequest: Codable, Sendable {
    public var challenge: ChallengeBody
    /// The persona to answer with (id or context); by default the one named after the app.
    public var persona: String?
    public init(challenge: ChallengeBody, persona: String?) {
        self.challenge = challenge
        self.persona = persona
    }
}

public struct SignInAnswer: Codable, Sendable {
    public var envelope: Data
    public var persona: PersonaID
    public init(envelope: Data, persona: PersonaID) {
        self.envelope = envelope
        self.persona = persona
    }
}

public struct SessionBody: Codable, Sendable {
    public var app: String
    public var persona: PersonaID
    public var token: String?
    public var expires: Date
    public init(app: String, persona: PersonaID, token: String?, expires: Date) {
        self.app = app
        self.persona = persona
        self.token = token
        self.expires = expires
    }
}

/// A question to another TCC (`oms ask`): signed by the asking TCC (or one of its personas) and
/// sent to the node that hosts the target, or answered here when the target is hosted here.
public struct AskRequest: Codable, Sendable {
    public var target: TCCID
    /// The node that hosts the target; nil when it is this node.
    public var node: NodeID?
    /// The persona to ask as (id or context); nil to ask as the TCC.
    public var persona: String?
    public var module: String
    public var stream: String
    public var from: Date?
    public var to: Date?
    public var numbers: [Double]?
    /// Latitude, longitude and radius in metres.
    public var region: [Double]?
    public var purpose: String?
    /// Held claims to present, by object id.
    public var present: [ObjectID]?
    public var validForSeconds: Int?

    public init(
        target: TCCID, node: NodeID?, persona: String?, module: String, stream: String, from: Date? = nil, to: Date? = nil,
        numbers: [Double]? = nil, region: [Double]? = nil, purpose: String? = nil, present: [ObjectID]? = nil, validForSeconds: Int? = nil
    ) {
        self.target = target
        self.node = node
        self.persona = persona
        self.module = module
        self.stream = stream
        self.from = from
        self.to = to
        self.numbers = numbers
        self.region = region
        self.purpose = purpose
        self.present = present
        self.validForSeconds = validForSeconds
    }
}

/// What came back for a question, checked: an answer's value (NaN, the mean of nothing, is
/// null) or a refusal's code, with the rules that decided and the signed envelope itself.
public struct AskResult: Codable, Sendable {
    public var query: ObjectID
    public var outcome: String
    public var number: Double?
    public var numbers: [Double?]?
    public var yes: Bool?
    public var area: [Double]?
    /// Raw records (the `raw` module, where a policy permits it), as ingest lines.
    public var records: String?
    public var epsilon: Double?
    public var code: String?
    public var reason: String?
    public var rules: [String]
    /// The answering TCC, or the node that signed a refusal.
    public var signer: String
    public var envelope: Data

    public init(query: SignedQuery, outcome: QueryOutcome) {
        self.query = query.id
        envelope = Data(outcome.envelope.bytes)
        // A refusal is signed by the target TCC or, when it could not be read as one for a TCC
        // hosted there, by the node asked (protocol-spec §13).
        let key = outcome.envelope.signer.rawRepresentation
        signer = key == query.query.target.bytes ? query.query.target.description : NodeID(publicKey: outcome.envelope.signer).description
        switch outcome {
        case .answer(let signed):
            let answer = signed.answer
            self.outcome = "answer"
            rules = answer.rules.map(\.rawValue)
            epsilon = answer.epsilon
            signer = answer.target.description
            switch answer.value {
            case .number(let x): number = x.isNaN ? nil : x
            case .counts(let xs), .numbers(let xs): numbers = xs.map { $0.isNaN ? nil : $0 }
            case .yesNo(let b): yes = b
            case .area(let latitude, let longitude, let precision): area = [latitude, longitude, precision]
            case .records(let bytes): records = String(decoding: bytes, as: UTF8.self)
            }
        case .refusal(let signed):
            self.outcome = "refusal"
            code = signed.refusal.code.rawValue
            reason = signed.refusal.reason
            rules = signed.refusal.rules.map(\.rawValue)
        }
    }
}
