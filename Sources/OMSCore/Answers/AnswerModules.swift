import Foundation

/// The built-in answer modules (openPDS's SafeAnswers): each turns the owner's records into a
/// small answer, never the records themselves. The policy decides which modules a requester
/// may use and with which obligations (minimum count, noise); `AnswerModules.compute` applies
/// them.
public enum AnswerModule: Hashable, Sendable {
    case count
    case sum
    case mean
    case min
    case max
    /// Counts per bin; `edges` ascending, n edges make n - 1 bins, [a, b) except the last.
    case histogram(edges: [Double])
    /// The values at each fraction in 0...1.
    case quantiles([Double])
    /// Metres along the fixes in time order.
    case distance
    /// Seconds spent inside the region (between consecutive fixes both inside it).
    case timeInside(Region)
    /// Whether any fix lies inside the region.
    case visited(Region)
    /// The last fix, rounded to a cell of `precision` metres: where, roughly, not exactly.
    case lastArea(precision: Double)
    /// The records themselves, as ingest lines: only where a policy permits the `raw` action
    /// explicitly, and never with noise (it has no noisy form).
    case raw

    /// The region a location module asks about, which a policy's region must contain.
    public var region: Region? {
        switch self {
        case .timeInside(let region), .visited(let region): region
        default: nil
        }
    }

    public var name: String {
        switch self {
        case .count: "count"
        case .sum: "sum"
        case .mean: "mean"
        case .min: "min"
        case .max: "max"
        case .histogram: "histogram"
        case .quantiles: "quantiles"
        case .distance: "distance"
        case .timeInside: "time-inside"
        case .visited: "visited"
        case .lastArea: "last-area"
        case .raw: "raw"
        }
    }
}

/// What a module computed.
public enum AnswerValue: Hashable, Sendable {
    case number(Double)
    case counts([Double])
    case numbers([Double])
    case yesNo(Bool)
    case area(latitude: Double, longitude: Double, precision: Double)
    /// Records as ingest lines (NDJSON, UTF-8), for the `raw` module.
    case records([UInt8])
}

public enum AnswerModules {
    /// A numeric module over numeric samples. Values are clamped to `bounds` first: that is
    /// what bounds each record's influence, and so the noise's sensitivity.
    public static func compute(
        _ module: AnswerModule, over samples: [NumericSample], bounds: ClosedRange<Double>, minimumCount: Int? = nil,
        noise: (epsilon: Double, uniform: () -> Double)? = nil
    ) throws(AnswerError) -> AnswerValue {
        try requireCount(samples.count, minimumCount)
        let values = samples.map { Swift.min(Swift.max($0.value, bounds.lowerBound), bounds.upperBound) }
        let width = bounds.upperBound - bounds.lowerBound
        let magnitude = Swift.max(abs(bounds.lowerBound), abs(bounds.upperBound))
        func noisy(_ x: Double, sensitivity: Double) -> Double {
            guard let noise else { return x }
            return x + LaplaceMechanism.noise(sensitivity: sensitivity, epsilon: noise.epsilon, uniform: noise.uniform())
        }
        switch module {
        case .count:
            return .number(noisy(Double(values.count), sensitivity: 1))
        case .sum:
            return .number(noisy(values.reduce(0, +), sensitivity: magnitude))
        case .mean:
            guard !values.isEmpty else { return .number(.nan) }
            return .number(noisy(values.reduce(0, +) / Double(values.count), sensitivity: width / Double(values.count)))
        case .min:
            guard let m = values.min() else { return .number(.nan) }
            return .number(noisy(m, sensitivity: width))
        case .max:
            guard let m = values.max() else { return .number(.nan) }
            return .number(noisy(m, sensitivity: width))
        case .histogram(let edges):
            guard edges.count >= 2, zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }), edges.count <= 1001 else {
                throw AnswerError(.invalidParameter, "a histogram needs 2 to 1001 ascending edges")
            }
            var counts = [Double](repeating: 0, count: edges.count - 1)
            for v in values {
                guard v >= edges[0], v <= edges[edges.count - 1] else { continue }
                // The last bin is closed: a value equal to the top edge counts in it.
                var index = edges.partitioningIndex { $0 > v } - 1
                index = Swift.min(index, counts.count - 1)
                counts[index] += 1
            }
            return .counts(counts.map { noisy($0, sensitivity: 1) })
        case .quantiles(let fractions):
            guard !fractions.isEmpty, fractions.count <= 100, fractions.allSatisfy({ (0...1).contains($0) }) else {
                throw AnswerError(.invalidParameter, "quantiles are 1 to 100 fractions in 0...1")
            }
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return .numbers(fractions.map { _ in .nan }) }
            // k noisy values share the answer's epsilon: each gets epsilon / k (sequential
            // composition), so the ledger's one charge covers them all.
            let share = Double(fractions.count)
            return .numbers(
                fractions.map { q in
                    let position = q * Double(sorted.count - 1)
                    let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
                    let value = sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
                    return noisy(value, sensitivity: width * share)
                })
        case .distance, .timeInside, .visited, .lastArea:
            throw AnswerError(.wrongStream, "\(module.name) is computed over GPS fixes, not numbers")
        case .raw:
            throw AnswerError(.invalidParameter, "raw records are read by the node, not computed")
        }
    }

    /// A location module over GPS fixes (sorted by time here, whatever order they came in).
    public static func compute(_ module: AnswerModule, over fixes: [GPSFix], minimumCount: Int? = nil) throws(AnswerError) -> AnswerValue {
        try requireCount(fixes.count, minimumCount)
        let ordered = fixes.sorted { $0.time < $1.time }
        func point(_ f: GPSFix) -> (latitude: Double, longitude: Double) { (f.latitude, f.longitude) }
        func inside(_ f: GPSFix, _ region: Region) -> Bool {
            Region.distance(point(f), (region.latitude, region.longitude)) <= region.radius
        }
        switch module {
        case .distance:
            return .number(zip(ordered, ordered.dropFirst()).reduce(0) { $0 + Region.distance(point($1.0), point($1.1)) })
        case .timeInside(let region):
            let milliseconds = zip(ordered, ordered.dropFirst()).reduce(Int64(0)) { total, pair in
                inside(pair.0, region) && inside(pair.1, region) ? total + (pair.1.time - pair.0.time) : total
            }
            return .number(Double(milliseconds) / 1000)
        case .visited(let region):
            return .yesNo(ordered.contains { inside($0, region) })
        case .lastArea(let precision):
            guard precision >= 100, precision.isFinite else {
                throw AnswerError(.invalidParameter, "a coarse area is at least 100 m across")
            }
            guard let last = ordered.last else { throw AnswerError(.tooFewRecords, "there is no fix to answer from") }
            // Snap to a grid of `precision` metres (degrees of latitude are ~111.2 km).
            let step = precision / 111_195
            let latitude = (last.latitude / step).rounded(.down) * step + step / 2
            let lonStep = step / Swift.max(cos(latitude * .pi / 180), 0.01)
            let longitude = (last.longitude / lonStep).rounded(.down) * lonStep + lonStep / 2
            return .area(latitude: latitude, longitude: longitude, precision: precision)
        case .count, .sum, .mean, .min, .max, .histogram, .quantiles:
            throw AnswerError(.wrongStream, "\(module.name) is computed over numbers, not GPS fixes")
        case .raw:
            throw AnswerError(.invalidParameter, "raw records are read by the node, not computed")
        }
    }

    static func requireCount(_ count: Int, _ minimum: Int?) throws(AnswerError) {
        if let minimum, count < minimum {
            // Not the count itself: that would answer a count no policy permitted, without noise.
            throw AnswerError(.tooFewRecords, "the answer would cover fewer records than the policy's minimum of \(minimum)")
        }
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `belongs` (which must be monotonic).
    func partitioningIndex(where belongs: (Double) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
