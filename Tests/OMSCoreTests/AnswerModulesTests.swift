import Foundation
import OMSCore
import Testing

/// The SafeAnswers modules against answers worked out by hand, the minimum-count refusal, the
/// Laplace mechanism's distribution, and the privacy ledger.
struct AnswerModulesTests {
    static let steps = [3.0, 7, 1, 9, 5, 2, 8, 4, 6, 10].enumerated().map { NumericSample(time: Int64($0.offset) * 60_000, value: $0.element) }
    static let bounds = 0.0...100

    static func number(_ value: AnswerValue) -> Double? {
        if case .number(let n) = value { return n }
        return nil
    }

    @Test func exactModulesOverNumbers() throws {
        #expect(Self.number(try AnswerModules.compute(.count, over: Self.steps, bounds: Self.bounds)) == 10)
        #expect(Self.number(try AnswerModules.compute(.sum, over: Self.steps, bounds: Self.bounds)) == 55)
        #expect(Self.number(try AnswerModules.compute(.mean, over: Self.steps, bounds: Self.bounds)) == 5.5)
        #expect(Self.number(try AnswerModules.compute(.min, over: Self.steps, bounds: Self.bounds)) == 1)
        #expect(Self.number(try AnswerModules.compute(.max, over: Self.steps, bounds: Self.bounds)) == 10)
        #expect(try AnswerModules.compute(.histogram(edges: [0, 5, 10]), over: Self.steps, bounds: Self.bounds) == .counts([4, 6]))
        #expect(try AnswerModules.compute(.quantiles([0, 0.5, 1]), over: Self.steps, bounds: Self.bounds) == .numbers([1, 5.5, 10]))
    }

    @Test func valuesAreClampedToTheStreamsBounds() throws {
        let wild = [NumericSample(time: 0, value: 1_000_000), NumericSample(time: 1, value: -5)]
        #expect(Self.number(try AnswerModules.compute(.sum, over: wild, bounds: 0...250)) == 250)
    }

    @Test func tooFewRecordsIsARefusalNotAnAnswer() {
        #expect(throws: AnswerError.self) { try AnswerModules.compute(.mean, over: Self.steps, bounds: Self.bounds, minimumCount: 11) }
        #expect(throws: Never.self) { try AnswerModules.compute(.mean, over: Self.steps, bounds: Self.bounds, minimumCount: 10) }
    }

    @Test func badParametersAndWrongStreamsAreRefused() {
        #expect(throws: AnswerError.self) { try AnswerModules.compute(.histogram(edges: [5, 1]), over: Self.steps, bounds: Self.bounds) }
        #expect(throws: AnswerError.self) { try AnswerModules.compute(.quantiles([1.5]), over: Self.steps, bounds: Self.bounds) }
        #expect(throws: AnswerError.self) { try AnswerModules.compute(.distance, over: Self.steps, bounds: Self.bounds) }
        #expect(throws: AnswerError.self) { try AnswerModules.compute(.sum, over: [GPSFix(time: 0, latitude: 0, longitude: 0)]) }
    }

    @Test func locationModules() throws {
        // Three fixes a minute apart along the equator, 0.01° (~1112 m) each.
        let ride = (0..<3).map { GPSFix(time: Int64($0) * 60_000, latitude: 0, longitude: Double($0) * 0.01) }
        let distance = try #require(Self.number(try AnswerModules.compute(.distance, over: ride.reversed())))
        #expect(abs(distance - 2_223.9) < 1, "order of arrival does not matter: \(distance)")
        let start = try Region(latitude: 0, longitude: 0.005, radius: 700)
        #expect(Self.number(try AnswerModules.compute(.timeInside(start), over: ride)) == 60)
        #expect(try AnswerModules.compute(.visited(start), over: ride) == .yesNo(true))
        #expect(try AnswerModules.compute(.visited(try Region(latitude: 10, longitude: 10, radius: 100)), over: ride) == .yesNo(false))
        guard case .area(let lat, let lon, let precision) = try AnswerModules.compute(.lastArea(precision: 1_000), over: ride) else {
            Issue.record("not an area")
            return
        }
        #expect(precision == 1_000)
        #expect(Region.distance((lat, lon), (0, 0.02)) < 1_000, "near the last fix")
        #expect(lat != 0 || lon != 0.02, "but not exactly at it")
        #expect(throws: AnswerError.self) { try AnswerModules.compute(.lastArea(precision: 10), over: ride) }
    }

    @Test func laplaceNoiseHasTheRightScale() {
        // Inverse-CDF draws at known quantiles: the median is 0; at u = 0.75, b * ln 2.
        #expect(LaplaceMechanism.noise(sensitivity: 1, epsilon: 0.5, uniform: 0.5) == 0)
        #expect(abs(LaplaceMechanism.noise(sensitivity: 1, epsilon: 0.5, uniform: 0.75) - 2 * log(2)) < 1e-12)
        #expect(abs(LaplaceMechanism.noise(sensitivity: 1, epsilon: 0.5, uniform: 0.25) + 2 * log(2)) < 1e-12)
        // Over a fine grid of uniforms the mean absolute noise approaches the scale b = s / ε.
        let n = 100_000
        let mean = (1..<n).map { LaplaceMechanism.noise(sensitivity: 2, epsilon: 1, uniform: Double($0) / Double(n)) }.map(abs).reduce(0, +) / Double(n - 1)
        #expect(abs(mean - 2) < 0.01)
    }

    @Test func noisyAnswersUseTheInjectedDraws() throws {
        let exact = try AnswerModules.compute(.count, over: Self.steps, bounds: Self.bounds)
        let noisy = try AnswerModules.compute(.count, over: Self.steps, bounds: Self.bounds, noise: (epsilon: 1, uniform: { 0.75 }))
        #expect(Self.number(exact) == 10)
        #expect(abs((Self.number(noisy) ?? 0) - (10 + log(2))) < 1e-12)
    }

    @Test func theLedgerRefusesPastTheBudget() throws {
        var ledger = PrivacyLedger()
        for _ in 0..<10 { try ledger.spend(0.1, by: "persona1bob", budget: 1.0) }
        #expect(throws: AnswerError.self) { try ledger.spend(0.1, by: "persona1bob", budget: 1.0) }
        #expect(abs((ledger.spent["persona1bob"] ?? 0) - 1.0) < 1e-9, "a refused spend costs nothing")
        try ledger.spend(0.5, by: "persona1carol", budget: 1.0)
        #expect(ledger.spent["persona1carol"] == 0.5, "budgets are per requester")
    }
}
