import OMSCore

/// The simulator's only clock: timed events, the earliest first, and among equal times the one
/// queued first, so a run depends on its seed alone. The heap moves small keys; payloads stay
/// put in a slab whose slots are reused.
struct EventQueue<Payload> {
    private struct Key {
        var time: UInt64
        var order: UInt64
        var slot: Int32
    }

    private var heap = MinHeap<Key> { a, b in a.time != b.time ? a.time < b.time : a.order < b.order }
    private var slab: [Payload?] = []
    private var free: [Int32] = []
    private var order: UInt64 = 0

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
        heap.push(Key(time: time, order: order, slot: slot))
    }

    mutating func pop() -> (time: UInt64, payload: Payload)? {
        guard let first = heap.pop() else { return nil }
        let payload = slab[Int(first.slot)].take()!
        free.append(first.slot)
        return (first.time, payload)
    }
}
