/// The query ids an answering node has accepted and still remembers, each until its time to
/// be forgotten (the query's expiry plus the skew): after that the query is refused as expired
/// anyway, so the id need not be kept. Bounded: when every slot holds an id not yet
/// forgettable, `insert` fails and the caller refuses the query, because forgetting an id early
/// would let its query be replayed. Ids are kept in a dictionary for lookup and in a min-heap
/// by forget time, so expiry costs O(log n) per id, never a scan.
struct ReplayWindow: Sendable {
    /// A 32-byte id as four words: hashing and storing it costs no allocation.
    struct Key: Hashable, Sendable {
        let a, b, c, d: UInt64

        init(_ bytes: [UInt8]) {
            precondition(bytes.count == 32, "a replay key is 32 bytes")
            func word(_ i: Int) -> UInt64 { bytes[i * 8..<i * 8 + 8].reduce(0) { $0 << 8 | UInt64($1) } }
            (a, b, c, d) = (word(0), word(1), word(2), word(3))
        }
    }

    let capacity: Int
    private var forgetAt: [Key: UInt64] = [:]
    /// (forget time, key), the soonest at index 0.
    private var heap: [(time: UInt64, key: Key)] = []

    init(capacity: Int) {
        precondition(capacity > 0, "a replay window holds at least one id")
        self.capacity = capacity
    }

    var count: Int { forgetAt.count }

    func contains(_ key: Key) -> Bool { forgetAt[key] != nil }

    /// Forgets every id whose time has come (`time <= now`).
    mutating func expire(now: UInt64) {
        while let first = heap.first, first.time <= now {
            forgetAt[first.key] = nil
            popFirst()
        }
    }

    /// Remembers `key` until `time`; false, remembering nothing, when the window is full.
    /// The caller has checked that the key is not already there.
    mutating func insert(_ key: Key, until time: UInt64) -> Bool {
        guard forgetAt.count < capacity else { return false }
        forgetAt[key] = time
        heap.append((time, key))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].time < heap[parent].time else { break }
            heap.swapAt(child, parent)
            child = parent
        }
        return true
    }

    private mutating func popFirst() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].time < heap[smallest].time { smallest = left }
            if right < heap.count, heap[right].time < heap[smallest].time { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
