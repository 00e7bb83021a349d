/// When to dial a peer again after a failed or lost connection: exponential back-off with
/// "equal jitter" (half the delay fixed, half random), capped, and reset by a session that
/// lasted. Jitter spreads the reconnects of many nodes that lost the same peer at once.
///
/// Pure: the random source is an argument, so tests pin it.
public struct ReconnectBackoff: Sendable, Hashable {
    public struct Settings: Sendable, Hashable {
        public var initial: Duration
        public var maximum: Duration
        public var multiplier: Double

        public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30), multiplier: Double = 2) {
            precondition(initial > .zero && maximum >= initial && multiplier >= 1)
            self.initial = initial
            self.maximum = maximum
            self.multiplier = multiplier
        }
    }

    public let settings: Settings
    /// Failures since the last session that counted as healthy.
    public private(set) var failures = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The un-jittered delay for the current failure count.
    public var ceiling: Duration {
        let initial = settings.initial.seconds
        let grown = initial * pow(settings.multiplier, Double(max(0, failures - 1)))
        return .seconds(min(grown, settings.maximum.seconds))
    }

    /// Records a failure and returns how long to wait before the next attempt; `unitRandom`
    /// yields a value in [0, 1).
    public mutating func nextDelay(unitRandom: () -> Double) -> Duration {
        failures += 1
        let ceiling = self.ceiling.seconds
        return .seconds(ceiling / 2 + ceiling / 2 * unitRandom())
    }

    /// A session was established: the next failure starts from the initial delay again.
    public mutating func reset() {
        failures = 0
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(exponent) { result *= base }
    return result
}
