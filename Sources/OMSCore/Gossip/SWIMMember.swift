/// What a node believes of one member (SWIM §4.2): alive, suspected of having failed, or
/// confirmed dead, at an incarnation only the member itself raises, to refute a suspicion.
public enum SWIMStatus: UInt8, Sendable, Hashable, Comparable, CustomStringConvertible {
    case alive = 1
    case suspect = 2
    case dead = 3

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        }
    }
}

public struct SWIMMember<Peer: Hashable & Comparable & Sendable>: Sendable, Hashable {
    public var peer: Peer
    public var status: SWIMStatus
    public var incarnation: UInt64
    /// When this node last changed its belief about the member (ms).
    public var since: UInt64

    public init(peer: Peer, status: SWIMStatus, incarnation: UInt64, since: UInt64) {
        self.peer = peer
        self.status = status
        self.incarnation = incarnation
        self.since = since
    }
}

/// One membership update as gossip carries it: a member's status at an incarnation, and who
/// reported a suspicion (Lifeguard counts independent reporters as confirmations).
public struct SWIMUpdate<Peer: Hashable & Comparable & Sendable>: Sendable, Hashable {
    public var peer: Peer
    public var status: SWIMStatus
    public var incarnation: UInt64
    /// The suspecting member, for `suspect`; nil otherwise.
    public var reporter: Peer?

    public init(peer: Peer, status: SWIMStatus, incarnation: UInt64, reporter: Peer? = nil) {
        self.peer = peer
        self.status = status
        self.incarnation = incarnation
        self.reporter = reporter
    }

    /// Whether this update overrides what is believed (SWIM §4.2, as memberlist applies it):
    /// `alive` needs a higher incarnation; `suspect` one at least as high over an alive member
    /// and a higher one over a suspect; `dead` one at least as high over anything not dead.
    public func overrides(_ member: SWIMMember<Peer>) -> Bool {
        switch status {
        case .alive: incarnation > member.incarnation
        case .suspect:
            switch member.status {
            case .alive: incarnation >= member.incarnation
            case .suspect: incarnation > member.incarnation
            case .dead: false
            }
        case .dead: member.status != .dead && incarnation >= member.incarnation
        }
    }
}
