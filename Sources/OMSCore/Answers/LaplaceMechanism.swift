import Foundation

/// The Laplace mechanism of differential privacy: a true answer plus noise drawn from
/// Laplace(0, sensitivity / epsilon). The uniform draw is an input, so tests and the simulator
/// are deterministic; the node draws it from libsodium's generator.
public enum LaplaceMechanism {
    /// `uniform` is a draw from the open interval (0, 1).
    public static func noise(sensitivity: Double, epsilon: Double, uniform: Double) -> Double {
        precondition(epsilon > 0 && sensitivity >= 0 && uniform > 0 && uniform < 1)
        let scale = sensitivity / epsilon
        let u = uniform - 0.5
        // Inverse CDF of the Laplace distribution.
        return -scale * (u < 0 ? -1 : 1) * log(1 - 2 * abs(u))
    }
}

/// How much privacy each requester has spent against the owner's data: each noisy answer
/// costs its epsilon, and an answer that would pass the budget is refused before it is
/// computed. Pure; the node stores it so that restarts do not refund anyone.
public struct PrivacyLedger: Hashable, Sendable {
    public private(set) var spent: [String: Double] = [:]

    public init(spent: [String: Double] = [:]) { self.spent = spent }

    /// Records `epsilon` against `requester`, or refuses if it would exceed `budget`.
    public mutating func spend(_ epsilon: Double, by requester: String, budget: Double) throws(AnswerError) {
        let already = spent[requester, default: 0]
        // A small tolerance so that ten spends of 0.1 fit a budget of 1.0 despite rounding.
        guard already + epsilon <= budget + 1e-9 else {
            throw AnswerError(
                .budgetExhausted,
                "this answer costs epsilon \(epsilon); \(requester) has spent \(already) of a budget of \(budget)")
        }
        spent[requester] = already + epsilon
    }
}
