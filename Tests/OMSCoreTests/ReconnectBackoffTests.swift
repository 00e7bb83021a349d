import OMSCore
import Testing

/// Back-off maths, table-driven: growth by the multiplier, the cap, equal jitter and reset.
@Suite struct ReconnectBackoffTests {
    /// Just below 1: the top of `unitRandom`'s half-open range.
    static let almostOne = 1.0.nextDown

    struct Case: Sendable, CustomTestStringConvertible {
        var initial: Duration
        var maximum: Duration
        var multiplier: Double
        /// The ceiling after the 1st, 2nd, ... failure, in seconds.
        var ceilings: [Double]
        var testDescription: String { "\(initial) x\(multiplier) up to \(maximum)" }
    }

    static let cases: [Case] = [
        Case(
            initial: .milliseconds(250), maximum: .seconds(30), multiplier: 2,
            ceilings: [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30]),
        Case(
            initial: .milliseconds(100), maximum: .seconds(1), multiplier: 1.5,
            ceilings: [0.1, 0.15, 0.225, 0.3375, 0.50625, 0.759375, 1, 1]),
        Case(initial: .seconds(1), maximum: .seconds(1), multiplier: 3, ceilings: [1, 1, 1]),
        Case(initial: .seconds(2), maximum: .seconds(60), multiplier: 1, ceilings: [2, 2, 2, 2]),
        Case(initial: .seconds(1), maximum: .seconds(100), multiplier: 10, ceilings: [1, 10, 100, 100]),
    ]

    static func isClose(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(b)) }

    @Test(arguments: cases)
    func ceilingGrowsByTheMultiplierUpToTheMaximum(_ c: Case) {
        var backoff = ReconnectBackoff(
            settings: .init(initial: c.initial, maximum: c.maximum, multiplier: c.multiplier))
        #expect(backoff.failures == 0)
        #expect(Self.isClose(backoff.ceiling.seconds, c.initial.seconds))
        for (index, expected) in c.ceilings.enumerated() {
            _ = backoff.nextDelay { 0.5 }
            #expect(backoff.failures == index + 1)
            #expect(Self.isClose(backoff.ceiling.seconds, expected), "failure \(index + 1)")
        }
    }

    @Test(arguments: cases)
    func jitterStaysBetweenHalfTheCeilingAndTheCeiling(_ c: Case) {
        let settings = ReconnectBackoff.Settings(initial: c.initial, maximum: c.maximum, multiplier: c.multiplier)
        var low = ReconnectBackoff(settings: settings)
        var high = ReconnectBackoff(settings: settings)
        var nearTop = ReconnectBackoff(settings: settings)
        for expected in c.ceilings {
            let shortest = low.nextDelay { 0 }.seconds
            let longest = high.nextDelay { Self.almostOne }.seconds
            let below = nearTop.nextDelay { 0.999 }.seconds
            #expect(Self.isClose(shortest, expected / 2))
            #expect(shortest >= low.ceiling.seconds / 2)
            // 1 - 2^-53 is lost to rounding in ceiling/2 + ceiling/2 * u: the top is reached, never passed.
            #expect(longest <= high.ceiling.seconds)
            #expect(Self.isClose(longest, expected))
            #expect(below < nearTop.ceiling.seconds)
            #expect(Self.isClose(below, expected * 0.9995))
        }
    }

    @Test(arguments: [0.0, 0.25, 0.5, 0.75, almostOne])
    func delayIsHalfFixedHalfRandom(unit: Double) {
        var backoff = ReconnectBackoff(settings: .init(initial: .seconds(4), maximum: .seconds(60), multiplier: 2))
        #expect(Self.isClose(backoff.nextDelay { unit }.seconds, 2 + 2 * unit))
        #expect(Self.isClose(backoff.nextDelay { unit }.seconds, 4 + 4 * unit))
    }

    @Test func resetStartsAgainFromTheInitialDelay() {
        var backoff = ReconnectBackoff()
        for _ in 0..<6 { _ = backoff.nextDelay { 0 } }
        #expect(Self.isClose(backoff.ceiling.seconds, 8))
        backoff.reset()
        #expect(backoff.failures == 0)
        #expect(Self.isClose(backoff.nextDelay { 0 }.seconds, 0.125))
        #expect(Self.isClose(backoff.ceiling.seconds, 0.25))
        #expect(Self.isClose(backoff.nextDelay { 0 }.seconds, 0.25))
    }

    @Test func manyFailuresStayAtTheMaximum() {
        var backoff = ReconnectBackoff()
        for _ in 0..<2_000 { _ = backoff.nextDelay { 0 } }
        #expect(backoff.ceiling == .seconds(30))
        #expect(Self.isClose(backoff.nextDelay { Self.almostOne }.seconds, 30))
    }
}
