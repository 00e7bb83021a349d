/// A rate with a burst: `rate` tokens a second up to `burst`, each message taking its cost.
/// How a node bounds the work one peer's messages can cause it.
public struct TokenBucket: Sendable, Hashable {
    public let rate: Double
    public let burst: Double
    public private(set) var tokens: Double
    private var updated: UInt64

    public init(rate: Double, burst: Double, now: UInt64) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        updated = now
    }

    /// Takes `cost` tokens at `now` (ms) if there are that many; false (and nothing taken) if not.
    public mutating func take(_ cost: Double = 1, now: UInt64) -> Bool {
        if now > updated {
            tokens = min(burst, tokens + Double(now - updated) / 1000 * rate)
            updated = now
        }
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }
}
