/// What one SWIM instance believes of every member, in a form that scales to a simulation of a
/// hundred thousand instances: the members are the `roster` (a list shared by value, so copies
/// of the same roster cost nothing until one instance learns a new member) plus the beliefs that
/// differ from "alive at incarnation 0". Every operation an instance makes per message or tick is
/// O(1) on average; only a push-pull's `deviations` walks all that differs.
public struct SWIMMembership<Peer: Hashable & Comparable & Sendable>: Sendable {
    /// Every member ever known, in the order learned; forgotten ones stay, marked in `beliefs`.
    public private(set) var roster: [Peer]
    /// Beliefs that differ from "alive at incarnation 0 since 0", and members forgotten (nil
    /// status: no longer a member, free to join again).
    private var beliefs: [Peer: SWIMMember<Peer>?] = [:]
    /// Roster members learned after the roster was shared (for `contains`).
    private var learned: Set<Peer> = []
    private let shared: Set<Peer>
    /// Members alive or suspect.
    public private(set) var liveCount: Int
    /// Dead members, by when they died: remembered for a while, then forgotten.
    public private(set) var dead: [Peer: UInt64] = [:]

    /// Starts believing every member of `roster` alive at incarnation 0: a simulator gives all
    /// its instances the same roster (and `rosterSet`), which they then share.
    public init(roster: [Peer] = [], rosterSet: Set<Peer>? = nil) {
        self.roster = roster
        shared = rosterSet ?? Set(roster)
        liveCount = roster.count
    }

    public subscript(peer: Peer) -> SWIMMember<Peer>? {
        if let belief = beliefs[peer] { return belief }
        return shared.contains(peer) || learned.contains(peer) ? SWIMMember(peer: peer, status: .alive, incarnation: 0, since: 0) : nil
    }

    /// Records what is now believed of `member.peer`.
    public mutating func set(_ member: SWIMMember<Peer>) {
        let previous = self[member.peer]
        if previous == nil, !shared.contains(member.peer), learned.insert(member.peer).inserted { roster.append(member.peer) }
        beliefs[member.peer] = .some(member)
        if previous?.status ?? .dead != .dead { liveCount -= 1 }
        if member.status != .dead { liveCount += 1 }
        if member.status == .dead { dead[member.peer] = member.since } else { dead.removeValue(forKey: member.peer) }
    }

    /// Forgets a member: no longer counted or probed, and free to join again.
    public mutating func forget(_ peer: Peer) {
        guard let previous = self[peer] else { return }
        if previous.status != .dead { liveCount -= 1 }
        dead.removeValue(forKey: peer)
        beliefs[peer] = .some(nil)
    }

    /// The beliefs that differ from "alive at incarnation 0 since 0" (all of them, without a
    /// shared roster): what a push-pull sends, in peer order.
    public var deviations: [SWIMMember<Peer>] {
        var found = beliefs.values.compactMap { $0 }
        for peer in learned where beliefs[peer] == nil { found.append(SWIMMember(peer: peer, status: .alive, incarnation: 0, since: 0)) }
        return found.sorted { $0.peer < $1.peer }
    }
}
