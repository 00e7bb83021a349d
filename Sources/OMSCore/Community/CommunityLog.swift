import OMSProtocol

/// One replica of a community's log: the DAG of accepted events, its order and the fold over it
/// (protocol-spec/README.md section 15). Pure: the node stores what `insert` accepts and sends
/// what `missing(after:)` returns; the time is passed in.
public struct CommunityLog: Sendable {
    /// How far ahead of the replica's clock an event may be written (ms).
    public static let futureSkew: UInt64 = 300_000

    public let community: TCCID
    public private(set) var events: [ObjectID: SignedCommunityEvent] = [:]
    /// The events no other event names as parent.
    public private(set) var heads: Set<ObjectID> = []
    /// Every event, in the order of the fold.
    public private(set) var order: [ObjectID] = []
    /// The fold of `order`.
    public private(set) var state = CommunityState()
    /// Accepted events that a concurrent event before them in the order made void.
    public private(set) var void: [ObjectID: CommunityError] = [:]
    /// Each event's place in `order`, so that `missing(after:)` starts at a checkpoint without
    /// a scan.
    private var position: [ObjectID: Int] = [:]
    /// The greatest event held by the fold's tie-break (time, then id): an event greater still
    /// comes last in the order, so the fold extends instead of starting again. (The last event
    /// of the order is not always the greatest: a child may share its parent's time and have
    /// a smaller id.)
    private var latest: ObjectID
    /// Events whose ancestors are exactly the events before them in `order` (every event of a
    /// log written without partitions): what a replica holding one lacks is the rest of the
    /// order, found without walking the DAG.
    private var checkpoints: Set<ObjectID> = []

    /// A log holding its create event, which names the community.
    public init(create: SignedCommunityEvent) throws(CommunityError) {
        guard case .create = create.event.body else {
            throw CommunityError(.wrongCommunity, "a log starts with its create event, not a \(create.event.body.kind)")
        }
        community = create.communityID
        latest = create.id
        events[create.id] = create
        heads = [create.id]
        order = [create.id]
        position = [create.id: 0]
        checkpoints = [create.id]
        try state.apply(create)
    }

    /// A log read back from storage: `events` in an order where parents precede children (the
    /// order they were accepted in), each accepted before, so only folded again, once.
    public init(restoring events: [SignedCommunityEvent]) throws(CommunityError) {
        guard let first = events.first else { throw CommunityError(.missingParents, "a log needs its create event") }
        try self.init(create: first)
        var ordered = true
        for event in events.dropFirst() where self.events[event.id] == nil {
            guard event.communityID == community, event.event.parents.allSatisfy({ self.events[$0] != nil }) else {
                throw CommunityError(.missingParents, "stored event \(event.id.short) comes before its parents or is another community's")
            }
            // While each event comes last in the order (always, in a log written without
            // partitions), the fold extends as it goes; otherwise it is folded again at the end.
            ordered = ordered && (Set(event.event.parents) == heads || Self.precedes(self.events[latest]!, event))
            append(event)
            if ordered {
                do {
                    try state.apply(event)
                } catch {
                    void[event.id] = error
                }
            }
        }
        if !ordered { refold() }
    }

    public var create: SignedCommunityEvent { events[order[0]]! }

    /// Accepts `event` or refuses it with the code of the first rule it breaks ("Accepting an
    /// event into a replica"); an accepted event is in `events` and folded into `state`.
    public mutating func insert(_ event: SignedCommunityEvent, now: UInt64) throws(CommunityError) {
        // A create belongs to the community its id names: this log's own create is a duplicate.
        guard event.communityID == community else {
            throw CommunityError(.wrongCommunity, "the event belongs to \(event.communityID.short), not \(community.short)")
        }
        guard events[event.id] == nil else { throw CommunityError(.duplicate, "event \(event.id.short) is already held") }
        let missing = event.event.parents.filter { events[$0] == nil }
        guard missing.isEmpty else {
            throw CommunityError(.missingParents, "\(missing.count) parent(s) not held, e.g. \(missing[0].short)")
        }
        for parent in event.event.parents where events[parent]!.event.time > event.event.time {
            throw CommunityError(.timeTravel, "written at \(event.event.time), before its parent \(parent.short)")
        }
        guard event.event.time <= now + Self.futureSkew else {
            throw CommunityError(.notYetValid, "written at \(event.event.time), more than \(Self.futureSkew) ms after \(now)")
        }
        if Set(event.event.parents) == heads {
            // Every event is an ancestor: the causal past is the whole log, and the event is last.
            try state.apply(event)
            append(event)
            return
        }
        var past = Self.fold(ancestors(of: event.event.parents), from: self)
        try past.state.apply(event)
        if Self.precedes(events[latest]!, event) {
            // Later than every event held: still last in the order, so the fold extends.
            append(event)
            do {
                try state.apply(event)
            } catch {
                void[event.id] = error
            }
        } else {
            append(event)
            refold()
        }
    }

    private mutating func append(_ event: SignedCommunityEvent) {
        // Its parents are all the heads: its ancestors are every event held, all before it.
        if Set(event.event.parents) == heads { checkpoints.insert(event.id) }
        position[event.id] = order.count
        if Self.precedes(events[latest]!, event) { latest = event.id }
        events[event.id] = event
        for parent in event.event.parents { heads.remove(parent) }
        heads.insert(event.id)
        order.append(event.id)
    }

    /// The fold's tie-break: earlier time first, then the lesser id bytewise.
    static func precedes(_ a: SignedCommunityEvent, _ b: SignedCommunityEvent) -> Bool {
        a.event.time != b.event.time ? a.event.time < b.event.time : a.id.bytes.lexicographicallyPrecedes(b.id.bytes)
    }

    /// `ids` and all their ancestors.
    func ancestors(of ids: [ObjectID]) -> Set<ObjectID> {
        var seen = Set(ids)
        var stack = ids
        while let id = stack.popLast() {
            for parent in events[id]!.event.parents where seen.insert(parent).inserted { stack.append(parent) }
        }
        return seen
    }

    private mutating func refold() {
        let result = Self.fold(Set(events.keys), from: self)
        order = result.order
        // Replays the order to find again which events had every earlier event as an ancestor.
        position = [:]
        checkpoints = []
        var frontier: Set<ObjectID> = []
        for (index, id) in order.enumerated() {
            position[id] = index
            let parents = events[id]!.event.parents
            if Set(parents) == frontier { checkpoints.insert(id) }
            for parent in parents { frontier.remove(parent) }
            frontier.insert(id)
        }
        state = result.state
        void = result.void
    }

    /// Orders `subset` (closed under parents) and folds it from the empty state.
    static func fold(
        _ subset: Set<ObjectID>, from log: CommunityLog
    ) -> (order: [ObjectID], state: CommunityState, void: [ObjectID: CommunityError]) {
        var waiting: [ObjectID: Int] = [:]
        var children: [ObjectID: [ObjectID]] = [:]
        var ready = MinHeap(by: Self.precedes)
        for id in subset {
            let event = log.events[id]!
            waiting[id] = event.event.parents.count
            for parent in event.event.parents { children[parent, default: []].append(id) }
            if event.event.parents.isEmpty { ready.push(event) }
        }
        var order: [ObjectID] = []
        order.reserveCapacity(subset.count)
        var state = CommunityState()
        var void: [ObjectID: CommunityError] = [:]
        while let event = ready.pop() {
            order.append(event.id)
            do {
                try state.apply(event)
            } catch {
                void[event.id] = error
            }
            for child in children[event.id] ?? [] {
                waiting[child]! -= 1
                if waiting[child] == 0 { ready.push(log.events[child]!) }
            }
        }
        return (order, state, void)
    }

    /// What a replica whose heads are `theirs` lacks, in the order of the fold, at most `limit`
    /// events and `byteLimit` bytes of envelopes (at least one event when any is lacking);
    /// `complete` is false when more remain. Heads this replica does not hold are ignored: the
    /// answer may then repeat events the other already has, which it drops as duplicates.
    public func missing(after theirs: [ObjectID], limit: Int, byteLimit: Int) -> (events: [SignedCommunityEvent], complete: Bool) {
        let known = theirs.filter { events[$0] != nil }
        var held: Set<ObjectID> = []
        var start = 0
        if known.count == 1, checkpoints.contains(known[0]), let at = position[known[0]] {
            // They hold exactly the order up to that event.
            start = at + 1
        } else {
            held = ancestors(of: known)
        }
        var found: [SignedCommunityEvent] = []
        var bytes = 0
        for id in order[start...] where !held.contains(id) {
            let event = events[id]!
            guard found.count < limit, found.isEmpty || bytes + event.envelope.bytes.count <= byteLimit else {
                return (found, false)
            }
            found.append(event)
            bytes += event.envelope.bytes.count
        }
        return (found, true)
    }
}
