import ArgumentParser
import Foundation
import OMSAPI
import OMSCore
import OMSNode
import OMSStore

struct TCCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcc", abstract: "Trusted Compute Cells: a person's private TCC, a community's or an institution's.",
        subcommands: [Create.self, List.self, Show.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a TCC, with its own root key, in a TCF.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Option(help: "The TCF to create it in (id or name).") var tcf: String
        @Option(help: "private, community or institution.") var kind: String = "private"
        @Argument(help: "A name, unique in the TCF.") var name: String

        func run() async throws {
            guard let kind = TCCKind(rawValue: kind) else { throw ValidationError("--kind is private, community or institution") }
            let tcc: TCCRecord = try await dataDir.client().send(
                .POST, apiPath("tcfs", tcf, "tccs"), json: CreateTCCRequest(kind: kind, name: name))
            print("created \(tcc.kind) TCC \(tcc.name) \(tcc.id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a TCF's TCCs in name order, a page at a time.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Option(help: "The TCF (id or name).") var tcf: String
        @Option(help: "Start after this name.") var after: String?
        @Option(help: "At most this many (1 to 1000).") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tccs: [TCCRecord] = try await dataDir.client().get(
                apiPath("tcfs", tcf, "tccs", query: ["after": after, "limit": String(limit)]))
            if json { return try printJSON(tccs) }
            if tccs.isEmpty { print("no TCCs; make one with 'oms tcc create NAME --tcf \(tcf)'") }
            for tcc in tccs { print(column(tcc.name.rawValue, 16) + column(tcc.kind.rawValue, 12) + tcc.id.description) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a TCC with its personas and registry.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The TCC's id or name.") var tcc: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let client = try dataDir.client()
            let record: TCCRecord = try await client.get(apiPath("tccs", tcc))
            let personas: [PersonaRecord] = try await client.get(apiPath("tccs", record.id.description, "personas"))
            let registry: Registry = try await client.get(apiPath("tccs", record.id.description, "registry"))
            if json { return try printJSON(TCCView(tcc: record, personas: personas, registry: registry)) }
            print("\(record.kind) TCC \(record.name)")
            print("  id          \(record.id)")
            print("  TCF         \(record.tcf)")
            print("  personas    \(personas.map(\.context.rawValue).joined(separator: ", "))")
            print("  connections \(registry.relationships.count), memberships \(registry.memberships.count), policies \(registry.policies.count)")
        }
    }

    struct TCCView: Encodable {
        var tcc: TCCRecord
        var personas: [PersonaRecord]
        var registry: Registry
    }
}
