import OMSCore
import OMSSimulation
import Testing

/// The simulator runs the nodes' own SWIM state machine at scale: a crash is detected and its
/// death spreads to every live node, nobody live is declared dead without loss, and a seed
/// reproduces a run exactly.
@Suite struct SWIMSimulationTests {
    static func settings(nodes: Int, seed: UInt64 = 7, loss: Double = 0) -> SWIMSimulation.Settings {
        var settings = SWIMSimulation.Settings()
        settings.nodes = nodes
        settings.seed = seed
        settings.loss = loss
        settings.crashes = 2
        settings.crashAt = 5_000
        settings.duration = 45_000
        return settings
    }

    @Test func crashesAreDetectedByEveryLiveNode() {
        var simulation = SWIMSimulation(settings: Self.settings(nodes: 300))
        let report = simulation.run()
        #expect(report.detections.count == 2)
        for detection in report.detections {
            let first = try? #require(detection.firstSuspected)
            let dead = try? #require(detection.firstDead)
            let all = try? #require(detection.allDead)
            // A probe period or a few to the first suspicion; Lifeguard's suspicion time (9.9 s
            // least, 59 s most, for 300 nodes) to death; then the spread.
            #expect((first ?? .max) <= 10_000, "\(detection)")
            #expect((dead ?? .max) >= 9_900 && (dead ?? .max) <= 35_000, "\(detection)")
            #expect((all ?? .max) >= (dead ?? 0) && (all ?? .max) <= 40_000, "\(detection)")
        }
        #expect(report.falseDeaths == 0 && report.falseSuspicions == 0)
        // A ping and an ack a probe period, and gossip while there is news.
        #expect(report.messagesPerNodePerSecond > 2 && report.messagesPerNodePerSecond < 6, "\(report.messagesPerNodePerSecond)")
    }

    /// With nothing to tell, a node sends a ping a probe period and answers one: two messages a
    /// second, whatever the size (SWIM's constant load), and a push-pull now and then.
    @Test func aQuietNetworkCostsAPingAndAnAckAPeriod() {
        var settings = Self.settings(nodes: 400)
        settings.crashes = 0
        var simulation = SWIMSimulation(settings: settings)
        let report = simulation.run()
        // Plus a push-pull sent and answered every 30 s.
        #expect(report.messagesPerNodePerSecond > 1.95 && report.messagesPerNodePerSecond <= 2.1, "\(report.messagesPerNodePerSecond)")
        #expect(report.falseSuspicions == 0)
    }

    @Test func lossCausesNoFalseDeath() {
        var simulation = SWIMSimulation(settings: Self.settings(nodes: 200, loss: 0.1))
        let report = simulation.run()
        #expect(report.lost > 0)
        #expect(report.falseDeaths == 0, "suspicions refuted in time: \(report.falseSuspicions) suspicions")
        #expect(report.detections.allSatisfy { $0.allDead != nil })
    }

    /// Churn: crashed nodes restart above their last incarnation and announce themselves; the
    /// rumour reaches nearly every node within a second, and the odd node it missed learns within
    /// a push-pull interval (one did here, after 9.5 s); nobody live is declared dead.
    @Test func restartedNodesAreAliveAgainEverywhere() {
        var settings = Self.settings(nodes: 300)
        settings.crashes = 3
        settings.rejoinAfter = 30_000
        settings.duration = 60_000
        var simulation = SWIMSimulation(settings: settings)
        let report = simulation.run()
        for detection in report.detections {
            #expect(detection.allDead != nil && detection.allAliveAgain != nil, "node \(detection.node)")
            #expect((detection.allAliveAgain ?? .max) < settings.swim.pushPullInterval, "alive again everywhere \(detection.allAliveAgain ?? 0) ms after the restart")
        }
        #expect(report.falseDeaths == 0)
    }

    @Test func aSeedReproducesARun() {
        var first = SWIMSimulation(settings: Self.settings(nodes: 120, seed: 3, loss: 0.05))
        var second = SWIMSimulation(settings: Self.settings(nodes: 120, seed: 3, loss: 0.05))
        let (a, b) = (first.run(), second.run())
        #expect(a.messages == b.messages && a.lost == b.lost && a.falseSuspicions == b.falseSuspicions)
        #expect(a.csvRows.map { $0.split(separator: ",").dropLast().joined() } == b.csvRows.map { $0.split(separator: ",").dropLast().joined() })
        var other = SWIMSimulation(settings: Self.settings(nodes: 120, seed: 4, loss: 0.05))
        #expect(other.run().messages != a.messages, "another seed, another run")
    }

    /// The manifests' push gossip at scale: with 10% loss an item still reaches every node, in a
    /// few gossip rounds more than the theory's, each node sending it a bounded number of times;
    /// a seed reproduces the run.
    @Test func anItemReachesEveryNodeInAFewRoundsAtABoundedCost() throws {
        var settings = DisseminationSimulation.Settings()
        settings.nodes = 2000
        settings.loss = 0.1
        settings.duration = 20_000
        var simulation = DisseminationSimulation(settings: settings)
        let report = simulation.run()
        #expect(report.missed == 0)
        let rounds = try #require(report.rounds(toReach: 1))
        #expect(rounds <= 2 * report.theoryRounds, "\(rounds) rounds; theory \(report.theoryRounds)")
        // 4 · ⌈log10 2001⌉ = 16 pushes of the item, and a digest and its answer or two.
        #expect(report.messagesPerNode <= 16 + 3, "\(report.messagesPerNode)")
        var again = DisseminationSimulation(settings: settings)
        let second = again.run()
        #expect(second.reached == report.reached && second.messages == report.messages)
    }
}
