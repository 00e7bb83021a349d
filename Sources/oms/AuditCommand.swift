import ArgumentParser
import Foundation
import OMSAPI

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "A TCC's audit log: what was done with its keys and data.", subcommands: [Show.self, Verify.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the log.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Option(help: "Only entries at or after this ISO 8601 time (e.g. 2026-11-26T10:00:00Z).") var since: String?
        @Option(help: "Only entries of this kind (key.use, login, policy.change, data.access, membership, relationship).")
        var kind: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let entries: [AuditEntryBody] = try await dataDir.client().get(apiPath("tccs", tcc.tcc, "audit", query: ["since": since, "kind": kind]))
            if json { return try printJSON(entries) }
            if entries.isEmpty { print("no entries") }
            for entry in entries {
                print(column(String(entry.sequence), 5) + column(entry.time.formatted(.iso8601), 21) + column(entry.kind, 14) + entry.detail)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the log's hash chain and signed checkpoints; exits 1 if any entry was changed, removed or reordered.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions

        func run() async throws {
            let result: AuditVerificationBody = try await dataDir.client().get(apiPath("tccs", tcc.tcc, "audit", "verification"))
            if result.intact {
                print("audit log intact: \(result.entries) entries, \(result.checkpoints) signed checkpoints")
                return
            }
            print("audit log TAMPERED: \(result.problems.count) problem(s) in \(result.entries) entries")
            for problem in result.problems { print("  entry \(problem.sequence) \(problem.kind): \(problem.message)") }
            throw ExitCode(1)
        }
    }
}
