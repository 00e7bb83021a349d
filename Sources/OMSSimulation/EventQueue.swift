/// A binary min-heap of timed events: the simulator's only clock. Ties go to the event queued
/// first, so a run depends on its seed alone. The heap moves small keys; payloads stay put in a
/// slab whose slots are reused.
struct EventQueue<Payload> {
    private struct Key {
        var time: UInt64
        var order: UInt64
        var slot: Int32
    }

    private var heap: [Key] = []
    private var slab: [Payload?] = []
    private var free: [Int32] = []
    private var order: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func push(_ payload: Payload, at time: UInt64) {
        order += 1
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            slab[Int(slot)] = payload
        } else {
            slot = Int32(slab.count)
            slab.append(payload)
        }
        heap.append(Key(time: time, order: order, slot: slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: UInt64, payload: Payload)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var least = parent
            if left < heap.count, Self.before(heap[left], heap[least]) { least = left }
            if right < heap.count, Self.before(heap[right], heap[least]) { least = right }
            guard least != parent else { break }
            heap.swapAt(parent, least)
            parent = least
        }
        let payload = slab[Int(first.slot)].take()!
        free.append(first.slot)
        return (first.time, payload)
    }

    private static func before(_ a: Key, _ b: Key) -> Bool { a.time != b.time ? a.time < b.time : a.order < b.order }
}
