import ArgumentParser
import Foundation
import OMSAPI
import OMSNode
import OMSProtocol

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask another TCC a question: a signed query to the node that hosts it, a signed answer or refusal back.",
        discussion: """
            Modules: count sum mean min max (no parameters), histogram --numbers EDGES, quantiles --numbers FRACTIONS,
            distance, time-inside --region LAT,LON,RADIUS, visited --region ..., last-area --numbers PRECISION_METRES,
            raw (the records themselves, only where a policy permits the raw action).
            Example: oms ask --tcc bob TCC_ID mean --stream steps --at NODE_ID --as research --purpose activity-study
            """)
    @OptionGroup var dataDir: DataDirectoryOptions
    @OptionGroup var tcc: TCCOptions
    @Argument(help: "The TCC asked (its id).") var target: String
    @Argument(help: "The answer module.") var module: String
    @Option(help: "The stream asked about.") var stream: String
    @Option(help: "The node that hosts the TCC (its id); by default this node.") var at: String?
    @Option(name: .customLong("as"), help: ArgumentHelp("Ask as this persona (id or context) instead of as the TCC.", valueName: "persona"))
    var persona: String?
    @Option(help: "Start of the time window (ISO 8601).") var from: String?
    @Option(help: "End of the time window (ISO 8601).") var to: String?
    @Option(help: "The module's numbers, comma-separated.") var numbers: String?
    @Option(help: "A region: LAT,LON,RADIUS_METRES.") var region: String?
    @Option(help: "Why you ask (policies may require a purpose).") var purpose: String?
    @Option(help: "Present a held claim (its obj1… id); repeatable.") var present: [String] = []
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        guard let target = TCCID(target) else { throw ValidationError("'\(target)' is not a TCC id") }
        let node = try at.map { text -> NodeID in
            guard let id = NodeID(text) else { throw ValidationError("'\(text)' is not a node id") }
            return id
        }
        let claims = try present.map { text -> ObjectID in
            guard let id = ObjectID(text) else { throw ValidationError("'\(text)' is not a claim id (obj1…)") }
            return id
        }
        let request = AskRequest(
            target: target, node: node, persona: persona, module: module, stream: stream, from: try isoDate(from), to: try isoDate(to),
            numbers: try numberList(numbers), region: try numberList(region), purpose: purpose, present: claims.isEmpty ? nil : claims)
        let result: AskResult = try await dataDir.client().send(.POST, apiPath("tccs", tcc.tcc, "asks"), json: request)
        if json { return try printJSON(result) }
        if result.outcome == "answer" {
            print("answer: \(Self.value(of: result))")
            if let e = result.epsilon, e > 0 { print("noise:  Laplace, epsilon \(e)") }
            print("rules:  \(result.rules.joined(separator: ", "))")
        } else {
            print("refused: \(result.code ?? "?"): \(result.reason ?? "")")
            if !result.rules.isEmpty { print("rules:   \(result.rules.joined(separator: ", "))") }
        }
        print("signed by \(result.signer); query \(result.query)")
    }

    static func value(of result: AskResult) -> String {
        if let number = result.number { return String(number) }
        if let numbers = result.numbers { return numbers.map { $0.map { String($0) } ?? "nan" }.joined(separator: ", ") }
        if let yes = result.yes { return yes ? "yes" : "no" }
        if let area = result.area, area.count == 3 { return "near \(area[0]), \(area[1]) (a cell \(area[2]) m across)" }
        if let records = result.records {
            let lines = records.split(separator: "\n")
            return "\(lines.count) records\n" + lines.map { "  " + $0 }.joined(separator: "\n")
        }
        return "nothing (the mean of no records)"
    }
}
