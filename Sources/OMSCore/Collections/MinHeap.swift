/// A binary min-heap under a strict order given once: the community fold takes the least ready
/// event with it, and the simulator its next timed event.
public struct MinHeap<Element> {
    private var items: [Element] = []
    private let precedes: (Element, Element) -> Bool

    public init(by precedes: @escaping (Element, Element) -> Bool) { self.precedes = precedes }

    public var isEmpty: Bool { items.isEmpty }

    public mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    public mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var least = parent
            if left < items.count, precedes(items[left], items[least]) { least = left }
            if right < items.count, precedes(items[right], items[least]) { least = right }
            guard least != parent else { return top }
            items.swapAt(parent, least)
            parent = least
        }
    }
}
