import OMSCore
import Testing

/// RFC 6298 section 2: the first sample sets SRTT = R and RTTVAR = R/2; later ones update
/// RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| (with the old SRTT), then SRTT = 7/8 SRTT + 1/8 R.
@Suite struct RTTEstimatorTests {
    @Test func startsEmpty() {
        let rtt = RTTEstimator()
        #expect(rtt.samples == 0)
        #expect(rtt.latest == nil && rtt.smoothed == nil && rtt.variation == nil)
    }

    @Test func firstSampleSetsSmoothedAndHalfVariation() {
        var rtt = RTTEstimator()
        rtt.add(.milliseconds(100))
        #expect(rtt.samples == 1)
        #expect(rtt.latest == .milliseconds(100))
        #expect(rtt.smoothed == .milliseconds(100))
        #expect(rtt.variation == .milliseconds(50))
    }

    struct Step: Sendable {
        var sample: Duration
        var smoothed: Duration
        var variation: Duration
    }

    @Test func laterSamplesFollowRFC6298Gains() {
        let steps: [Step] = [
            Step(sample: .milliseconds(100), smoothed: .milliseconds(100), variation: .milliseconds(50)),
            // RTTVAR = 0.75 * 50 + 0.25 * |100 - 200| = 62.5; SRTT = 0.875 * 100 + 0.125 * 200 = 112.5
            Step(sample: .milliseconds(200), smoothed: .microseconds(112_500), variation: .microseconds(62_500)),
            // RTTVAR = 0.75 * 62.5 + 0.25 * |112.5 - 50| = 62.5; SRTT = 0.875 * 112.5 + 0.125 * 50 = 104.6875
            Step(sample: .milliseconds(50), smoothed: .nanoseconds(104_687_500), variation: .microseconds(62_500)),
            // RTTVAR = 0.75 * 62.5 + 0.25 * |104.6875 - 104.6875| = 46.875; SRTT unchanged
            Step(
                sample: .nanoseconds(104_687_500), smoothed: .nanoseconds(104_687_500),
                variation: .nanoseconds(46_875_000)),
        ]
        var rtt = RTTEstimator()
        for (index, step) in steps.enumerated() {
            rtt.add(step.sample)
            #expect(rtt.samples == index + 1)
            #expect(rtt.latest == step.sample)
            #expect(rtt.smoothed == step.smoothed, "after sample \(index + 1)")
            #expect(rtt.variation == step.variation, "after sample \(index + 1)")
        }
    }

    @Test func oneSlowSampleMovesSmoothedByAnEighth() {
        var rtt = RTTEstimator()
        rtt.add(.milliseconds(80))
        rtt.add(.milliseconds(880))
        #expect(rtt.smoothed == .milliseconds(180))
        #expect(rtt.variation == .milliseconds(230))
    }
}
