import Foundation

/// Lifeguard's dynamic suspicion timeout (Lifeguard §3.3, memberlist `suspicion.go`): a
/// suspicion starts long and shortens, on a log scale, as independent members report the same
/// suspicion, down to the least time once `expected` of them have. A member wrongly suspected by
/// one slow node therefore has the longest time to refute, while a member that really failed
/// is declared dead quickly once several probers agree.
public struct SWIMSuspicion<Peer: Hashable & Comparable & Sendable>: Sendable, Hashable {
    public let incarnation: UInt64
    public let start: UInt64
    public let minimum: UInt64
    public let maximum: UInt64
    /// Confirmations that bring the timeout down to `minimum`.
    public let expected: Int
    /// Who reported it; the first reporter is not a confirmation.
    public private(set) var reporters: Set<Peer>

    public init(incarnation: UInt64, reporter: Peer, start: UInt64, members: Int, settings: SWIMSettings) {
        self.incarnation = incarnation
        self.start = start
        minimum = Self.minimum(members: members, settings: settings)
        maximum = minimum * UInt64(max(1, settings.suspicionMaximumMultiplier))
        // With fewer than `expected` others to confirm, waiting for them would always take the
        // longest time: expect none.
        let expected = settings.suspicionMultiplier - 2
        self.expected = members - 2 < expected ? 0 : max(0, expected)
        reporters = [reporter]
    }

    /// The least suspicion time: `suspicionMultiplier · max(1, log10 n) · probeInterval`.
    public static func minimum(members: Int, settings: SWIMSettings) -> UInt64 {
        let scale = max(1, log10(Double(max(1, members))))
        return UInt64(Double(settings.suspicionMultiplier) * scale * Double(settings.probeInterval))
    }

    public var confirmations: Int { reporters.count - 1 }

    /// Counts `reporter` once; true when it is new and still shortens the timeout (worth
    /// gossiping again). Past `expected` confirmations nothing changes, so nothing is re-sent.
    public mutating func confirm(by reporter: Peer) -> Bool {
        guard confirmations < expected else { return false }
        return reporters.insert(reporter).inserted
    }

    /// When the member is declared dead: `max(minimum, maximum - (maximum - minimum) ·
    /// log(c + 1) / log(k + 1))` after the start, for c confirmations of k expected.
    public var deadline: UInt64 {
        guard expected > 0 else { return start + minimum }
        let fraction = log(Double(confirmations + 1)) / log(Double(expected + 1))
        let timeout = Double(maximum) - fraction * Double(maximum - minimum)
        return start + max(minimum, UInt64(max(0, timeout.rounded(.down))))
    }
}
