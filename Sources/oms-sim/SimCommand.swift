import ArgumentParser
import Foundation
import OMSCore
import OMSSimulation

/// `oms-sim`: the gossip protocols of `oms` nodes, the same state machines, run for up to a
/// hundred thousand simulated nodes on one machine (build it with `-c release`).
@main
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oms-sim",
        abstract: "Simulate the gossip of oms nodes on an in-memory network, with loss and latency, deterministically for a seed.",
        subcommands: [MembershipCommand.self, DisseminationCommand.self], defaultSubcommand: MembershipCommand.self)
}

/// Failure detection by SWIM with Lifeguard.
struct MembershipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "membership",
        abstract: "Simulate SWIM with Lifeguard: failure detection, false positives, messages (the default).",
        discussion: """
            Every node starts knowing every other; --crashes of them stop at --crash-at (and start again \
            --rejoin-after seconds later, if given); the table says, for each, when it was first suspected and \
            declared dead, when every live node held it dead (and alive again after its restart), and how many live \
            nodes were wrongly suspected. Deterministic for a seed.
            Example: oms-sim --nodes 100000 --loss 0.05 --csv runs.csv
            """)

    @OptionGroup var network: NetworkOptions
    @Option(help: "Nodes that crash.") var crashes = 1
    @Option(help: "When they crash, in seconds.") var crashAt = 10.0
    @Option(help: "How long to run, in seconds.") var duration = 60.0
    @Option(help: "Probe interval in ms (memberlist LAN: 1000).") var probeInterval: UInt64 = 1000
    @Option(help: "Restart the crashed nodes this many seconds after the crash (churn).") var rejoinAfter: Double?

    mutating func validate() throws {
        guard crashes >= 0, crashes < network.nodes else { throw ValidationError("--crashes is 0 to nodes - 1") }
        guard crashAt >= 0, duration > crashAt else { throw ValidationError("--duration must end after --crash-at") }
        if let rejoinAfter, rejoinAfter <= 0 || crashAt + rejoinAfter >= duration {
            throw ValidationError("--rejoin-after is positive and within --duration")
        }
    }

    func run() throws {
        var lines: [String] = []
        print("nodes    seed  loss  crashed   suspected   first dead   all dead   spread   alive again   false susp/dead   msgs/node/s   wall")
        let (nodes, loss) = (network.nodes, network.loss)
        for run in 0..<max(1, network.runs) {
            var settings = SWIMSimulation.Settings()
            settings.nodes = nodes
            settings.seed = network.seed + UInt64(run)
            settings.loss = loss
            settings.latency = network.latency
            settings.jitter = network.jitter
            settings.crashes = crashes
            settings.crashAt = UInt64(crashAt * 1000)
            settings.duration = UInt64(duration * 1000)
            settings.rejoinAfter = rejoinAfter.map { UInt64($0 * 1000) }
            settings.swim.probeInterval = probeInterval
            settings.swim.probeTimeout = probeInterval / 2
            var simulation = SWIMSimulation(settings: settings)
            let report = simulation.run()
            for d in report.detections {
                func ms(_ value: UInt64?) -> String { value.map { String(format: "%.2f s", Double($0) / 1000) } ?? "—" }
                let spread = d.allDead.flatMap { all in d.firstDead.map { all - $0 } }
                print(
                    [
                        pad("\(nodes)", 9), pad("\(settings.seed)", 6), pad(String(format: "%.2f", loss), 6), pad("\(d.node)", 10),
                        pad(ms(d.firstSuspected), 12), pad(ms(d.firstDead), 13), pad(ms(d.allDead), 11), pad(ms(spread), 9), pad(ms(d.allAliveAgain), 14),
                        pad("\(report.falseSuspicions)/\(report.falseDeaths)", 18), pad(String(format: "%.2f", report.messagesPerNodePerSecond), 14),
                        String(format: "%.1f s", report.elapsed),
                    ].joined())
            }
            if lines.isEmpty { lines.append(report.csvHeader) }
            lines += report.csvRows
            if run == 0 {
                print(
                    String(
                        format: "theory: first detection ≈ %.2f s (SWIM: T·e/(e-1)); spread in ~log2 n = %.1f rounds of gossip",
                        report.expectedFirstDetection / 1000, report.log2Nodes))
            }
        }
        if let csv = network.csv { try append(lines, to: csv) }
    }
}

/// Dissemination of one item by push gossip with push-pull, as manifests spread.
struct DisseminationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dissemination",
        abstract: "Simulate the push gossip that spreads manifests: rounds and time until every node holds a new item.",
        discussion: """
            One node publishes an item at 1 s; the table says when half, 90% and all of the nodes held it, the \
            gossip rounds until all did (the theory's beside), the hops from the publisher to half and to all, and \
            the item messages each node sent.
            Example: oms-sim dissemination --nodes 100000 --loss 0.1 --csv spread.csv
            """)

    @OptionGroup var network: NetworkOptions
    @Option(help: "Members each gossip round pushes to.") var fanout = 3
    @Option(help: "Gossip interval in ms.") var gossipInterval: UInt64 = 200
    @Option(help: "Push-pull interval in seconds.") var pushPull = 30.0
    @Option(help: "How long to run, in seconds.") var duration = 60.0

    mutating func validate() throws {
        guard fanout >= 1, gossipInterval >= 1, pushPull > 0, duration > 1 else {
            throw ValidationError("--fanout, --gossip-interval and --push-pull are positive, --duration over 1 s")
        }
    }

    func run() throws {
        var lines: [String] = []
        print("nodes    seed  loss  reached    50%        90%        all         rounds (theory)   hops 50%/all   msgs/node   wall")
        let (nodes, loss) = (network.nodes, network.loss)
        for run in 0..<max(1, network.runs) {
            var settings = DisseminationSimulation.Settings()
            settings.nodes = nodes
            settings.seed = network.seed + UInt64(run)
            settings.loss = loss
            settings.latency = network.latency
            settings.jitter = network.jitter
            settings.duration = UInt64(duration * 1000)
            settings.gossip.fanout = fanout
            settings.gossip.gossipInterval = gossipInterval
            settings.gossip.pushPullInterval = UInt64(pushPull * 1000)
            var simulation = DisseminationSimulation(settings: settings)
            let report = simulation.run()
            func ms(_ value: UInt64?) -> String { value.map { String(format: "%.2f s", Double($0) / 1000) } ?? "—" }
            let rounds = (report.rounds(toReach: 1).map { String(format: "%.1f", $0) } ?? "—") + String(format: " (%.1f)", report.theoryRounds)
            let hops = "\(report.hops(toReach: 0.5).map(String.init) ?? "—")/\(report.hops(toReach: 1).map(String.init) ?? "—")"
            print(
                [
                    pad("\(nodes)", 9), pad("\(settings.seed)", 6), pad(String(format: "%.2f", loss), 6), pad("\(report.reached.count)", 11),
                    pad(ms(report.time(toReach: 0.5)), 11), pad(ms(report.time(toReach: 0.9)), 11), pad(ms(report.time(toReach: 1)), 12),
                    pad(rounds, 18), pad(hops, 15), pad(String(format: "%.2f", report.messagesPerNode), 12), String(format: "%.1f s", report.elapsed),
                ].joined())
            if lines.isEmpty { lines.append(report.csvHeader) }
            lines.append(report.csvRow)
        }
        if let csv = network.csv { try append(lines, to: csv) }
    }
}

/// What both simulations are run on: how many nodes, which seeds, the network's loss and
/// latency, and where the CSV lines go.
struct NetworkOptions: ParsableArguments {
    @Option(help: "Simulated nodes.") var nodes = 1000
    @Option(help: "Seeds to run, from --seed up.") var runs = 1
    @Option(help: "The first seed.") var seed: UInt64 = 1
    @Option(help: "Probability that a message is lost (0 to below 1).") var loss = 0.0
    @Option(help: "One-way latency in ms.") var latency: UInt64 = 10
    @Option(help: "Latency jitter in ms (uniform ±).") var jitter: UInt64 = 5
    @Option(help: "Append the runs' CSV lines to this file.") var csv: String?

    mutating func validate() throws {
        guard (2...1_000_000).contains(nodes) else { throw ValidationError("--nodes is 2 to 1,000,000") }
        guard (0..<1).contains(loss) else { throw ValidationError("--loss is 0 to below 1") }
    }
}

/// Appends `lines` (a header first) to a CSV file, leaving out the header if the file exists.
func append(_ lines: [String], to csv: String) throws {
    let exists = FileManager.default.fileExists(atPath: csv)
    let text = (exists ? lines.dropFirst() : lines[...]).joined(separator: "\n") + "\n"
    if exists, let handle = FileHandle(forWritingAtPath: csv) {
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    } else {
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
    }
}

func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count) }
