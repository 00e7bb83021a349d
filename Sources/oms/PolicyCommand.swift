import ArgumentParser
import Foundation
import OMSAPI
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "A TCC's policies: who may ask what of its data (YAML, versioned, audited).",
        subcommands: [Set.self, List.self, Show.self, Test.self, Remove.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a new version of a named policy from a YAML file.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The policy's name.") var name: String
        @Argument(help: "The YAML file ('-' for standard input).") var file: String

        func run() async throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try readFile(file)
            let record: PolicyRecord = try await dataDir.client().send(
                .PUT, apiPath("tccs", tcc.tcc, "policies", name), json: SetPolicyRequest(yaml: String(decoding: data, as: UTF8.self)))
            print("policy \(record.name) version \(record.version) set")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The policies in force, with their current versions.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let records: [PolicyRecord] = try await dataDir.client().get(apiPath("tccs", tcc.tcc, "policies"))
            if json { return try printJSON(records) }
            if records.isEmpty { print("no policies: nothing is answered (default deny)") }
            for r in records {
                let rules = (try? PolicyDocument(yaml: r.body)).map { "\($0.rules.count) rules" } ?? "unreadable, applies no rule"
                print("\(column(r.name.rawValue, 16))version \(column(String(r.version), 4))\(column(rules, 12))\(r.updatedAt.formatted(.iso8601))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a policy's YAML (the current version, or --version N).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The policy's name.") var name: String
        @Option(help: "A past version.") var version: Int?
        @Flag(help: "List every version instead.") var history = false

        func run() async throws {
            let path = apiPath("tccs", tcc.tcc, "policies", name, query: ["version": version.map(String.init)])
            let records: [PolicyRecord] = try await dataDir.client().get(path)
            if history {
                for r in records { print("version \(column(String(r.version), 4))\(r.updatedAt.formatted(.iso8601))  \(r.body.utf8.count) bytes") }
            } else if let last = records.last {
                print("# \(last.name) version \(last.version), set \(last.updatedAt.formatted(.iso8601))")
                print(last.body, terminator: last.body.hasSuffix("\n") ? "" : "\n")
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dry-run a query against the policies in force: the decision, the rules that made it, and the obligations.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Option(name: .customLong("as"), help: ArgumentHelp("The requester: a persona or TCC id.", valueName: "id")) var requester: String
        @Option(help: "The stream asked about.") var stream: String
        @Option(help: "The answer module (count, mean, distance, ...).") var module: String?
        @Option(help: "The action: answer, run-app, export or raw.") var action: String = "answer"
        @Option(help: "Start of the time window (ISO 8601).") var from: String?
        @Option(help: "End of the time window (ISO 8601).") var to: String?
        @Option(help: "A region: LAT,LON,RADIUS_METRES.") var region: String?
        @Option(help: "The purpose the query states.") var purpose: String?
        @Option(name: .customLong("member-of"), help: "Take the requester to be a member of this community TCC.") var memberOf: [String] = []
        @Option(name: .customLong("holds"), help: "Take the requester to hold this claim: TYPE or TYPE@ISSUER.") var claims: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard let action = PolicyAction(rawValue: action) else { throw ValidationError("the action is answer, run-app, export or raw") }
            let regionValues = try region.map { text -> [Double] in
                let parts = text.split(separator: ",").compactMap { Double($0) }
                guard parts.count == 3 else { throw ValidationError("a region is LAT,LON,RADIUS_METRES") }
                return parts
            }
            let communities = try memberOf.map { text -> TCCID in
                guard let id = TCCID(text) else { throw ValidationError("'\(text)' is not a TCC id") }
                return id
            }
            let request = PolicyTestRequest(
                requester: requester, action: action, stream: stream, module: module, from: try isoDate(from), to: try isoDate(to), region: regionValues,
                purpose: purpose, memberOf: communities, claims: claims)
            let decision: PolicyDecisionBody = try await dataDir.client().send(.POST, apiPath("tccs", tcc.tcc, "policy-tests"), json: request)
            if json { return try printJSON(decision) }
            print("\(decision.effect == "permit" ? "PERMIT" : "DENY"): \(decision.reason)")
            if !decision.rules.isEmpty { print("rules:       \(decision.rules.joined(separator: ", "))") }
            if let k = decision.minimumCount { print("minimum k:   \(k)") }
            if let e = decision.epsilon { print("epsilon:     \(e) per answer") }
            if let b = decision.budget { print("budget:      \(b) per requester") }
            if let r = decision.rate { print("rate:        \(r)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop applying a policy (its versions stay in the history).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The policy's name.") var name: String

        func run() async throws {
            _ = try await dataDir.client().send(.DELETE, apiPath("tccs", tcc.tcc, "policies", name))
            print("policy \(name) removed")
        }
    }
}
