import ArgumentParser
import Foundation
import OMSAPI
import OMSNode
import OMSProtocol
import OMSStore

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "A TCC's connections, memberships and policies (set with 'oms policy').",
        subcommands: [Show.self, Connect.self, Member.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the registry.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let registry: Registry = try await dataDir.client().get(apiPath("tccs", tcc.tcc, "registry"))
            if json { return try printJSON(registry) }
            print("connections:")
            for r in registry.relationships { print("  \(column(r.label, 14))\(r.peer)  as \(r.persona?.short ?? "the TCC")") }
            print("memberships:")
            for m in registry.memberships { print("  \(column(m.role.rawValue, 14))\(m.community)  as \(m.persona?.short ?? "the TCC")") }
            print("policies:")
            for p in registry.policies { print("  \(column(p.name.rawValue, 14))version \(p.version), \(p.updatedAt.formatted(.iso8601))") }
        }
    }

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a connection to another party, and the persona you show them.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The other party: a persona, TCC or node id.") var peer: String
        @Option(name: .customLong("as"), help: ArgumentHelp("The persona you use with them (id or context).", valueName: "persona")) var persona: String?
        @Option(help: "A label for them.") var label: String = ""

        func run() async throws {
            let record: RelationshipRecord = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "relationships"), json: RelationshipRequest(peer: peer, persona: persona, label: label))
            print("connected to \(record.peer)")
        }
    }

    struct Member: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a membership of a community TCC.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The community's TCC id.") var community: String
        @Option(name: .customLong("as"), help: ArgumentHelp("The persona you are a member as (id or context).", valueName: "persona")) var persona: String?
        @Option(help: "Your role in it.") var role: String = "member"

        func run() async throws {
            guard let id = TCCID(community) else { throw ValidationError("'\(community)' is not a TCC id") }
            let record: MembershipRecord = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "memberships"), json: MembershipRequest(community: id, persona: persona, role: role))
            print("member of \(record.community.short) as \(record.role)")
        }
    }
}
