import OMSCore

/// The in-memory network both simulations send over: a message is lost with probability
/// `loss`, else delivered `latency ± jitter` ms later (at least 1 ms, jitter uniform), drawn from
/// the run's own generator so that a seed gives the same run.
struct SimulatedNetwork {
    let loss: Double
    let latency: UInt64
    let jitter: UInt64
    private(set) var messages = 0
    private(set) var lost = 0

    /// When a message sent at `now` arrives; nil when it is lost. Counts it either way.
    mutating func deliveryTime(now: UInt64, using random: inout SeededGenerator) -> UInt64? {
        messages += 1
        if loss > 0, Double.random(in: 0..<1, using: &random) < loss {
            lost += 1
            return nil
        }
        let spread = jitter == 0 ? 0 : UInt64.random(in: 0...(2 * jitter), using: &random)
        return now + UInt64(max(1, Int(latency) + Int(spread) - Int(jitter)))
    }

    /// A message to a node that is down: sent, never delivered, and nothing drawn for it.
    mutating func sentToNobody() { messages += 1 }
}
