/// The updates a node piggybacks on its messages (SWIM §4.1, memberlist's
/// `TransmitLimitedQueue`): one per subject, the newest replacing the older, each sent at most
/// `limit` times, the least-sent first. Bounded by the number of subjects.
public struct GossipBuffer<Key: Hashable & Sendable, Item: Sendable>: Sendable {
    struct Entry: Sendable {
        var item: Item
        var transmits: Int
        /// Order of arrival, to break ties between equally sent items (older first).
        var serial: UInt64
    }

    private var entries: [Key: Entry] = [:]
    private var serial: UInt64 = 0

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Queues `item` about `key`, replacing what was queued about it: that is out of date.
    public mutating func enqueue(_ item: Item, about key: Key) {
        serial += 1
        entries[key] = Entry(item: item, transmits: 0, serial: serial)
    }

    public mutating func remove(_ key: Key) { entries.removeValue(forKey: key) }

    /// Up to `maximum` items to piggyback now, the least-sent first; each counts as sent once,
    /// and an item sent `limit` times is dropped.
    public mutating func take(_ maximum: Int, limit: Int) -> [Item] {
        guard maximum > 0, !entries.isEmpty else { return [] }
        // The `maximum` least-sent in one pass, kept in order: sorting every queued item for
        // each message would cost most of a busy node's time.
        var least: [(rank: (Int, UInt64), key: Key)] = []
        for (key, entry) in entries {
            let rank = (entry.transmits, entry.serial)
            guard least.count < maximum || rank < least[least.count - 1].rank else { continue }
            let index = least.firstIndex { rank < $0.rank } ?? least.count
            least.insert((rank, key), at: index)
            if least.count > maximum { least.removeLast() }
        }
        let keys = least.map(\.key)
        var taken: [Item] = []
        for key in keys {
            guard var entry = entries[key] else { continue }
            taken.append(entry.item)
            entry.transmits += 1
            entries[key] = entry.transmits >= limit ? nil : entry
        }
        return taken
    }
}
