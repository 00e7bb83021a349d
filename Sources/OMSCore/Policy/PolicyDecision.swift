import Foundation
import OMSProtocol

/// Who is asking, for what: everything the engine decides on. The requester's facts
/// (memberships, claims) are ones the caller has verified; the engine only matches them.
public struct PolicyRequest: Hashable, Sendable {
    public struct Requester: Hashable, Sendable {
        public var persona: PersonaID?
        public var tcc: TCCID?
        public var memberships: Set<TCCID>
        public var claims: [HeldClaim]

        public init(persona: PersonaID? = nil, tcc: TCCID? = nil, memberships: Set<TCCID> = [], claims: [HeldClaim] = []) {
            self.persona = persona
            self.tcc = tcc
            self.memberships = memberships
            self.claims = claims
        }
    }

    /// A verified claim the requester holds: its type and its issuer's printed id.
    public struct HeldClaim: Hashable, Sendable {
        public var type: ClaimType
        public var issuer: String

        public init(type: ClaimType, issuer: String) {
            self.type = type
            self.issuer = issuer
        }
    }

    public var requester: Requester
    public var action: PolicyAction
    public var stream: String
    public var module: String?
    public var window: TimeWindow?
    public var region: Region?
    public var purpose: String?
    public var now: Date

    public init(
        requester: Requester, action: PolicyAction, stream: String, module: String? = nil, window: TimeWindow? = nil,
        region: Region? = nil, purpose: String? = nil, now: Date
    ) {
        self.requester = requester
        self.action = action
        self.stream = stream
        self.module = module
        self.window = window
        self.region = region
        self.purpose = purpose
        self.now = now
    }
}

/// The engine's verdict, with the rules that made it, so every answer and refusal can say why.
public struct PolicyDecision: Hashable, Sendable {
    public enum Effect: String, Hashable, Sendable {
        case permit
        case deny
    }

    public var effect: Effect
    /// The forbid rules that matched (a deny), or the permit rules that matched (a permit);
    /// empty for the default deny.
    public var rules: [String]
    /// Why, in words, for the requester and the audit log.
    public var reason: String
    /// What the answer must respect, the strictest of the permitting rules' conditions.
    public var obligations: PolicyRule.Conditions
    /// Every permitting rule's rate: each must hold, since one rate cannot stand for another
    /// over a different period (1 a minute and 10 an hour are both limits).
    public var rates: [PolicyRule.Rate] = []

    public var isPermitted: Bool { effect == .permit }
}
