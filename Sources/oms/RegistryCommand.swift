import ArgumentParser
import Foundation
import OMSAPI
import OMSNode
import OMSProtocol
import OMSStore

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "A TCC's connections, memberships and policies.",
        subcommands: [Show.self, Connect.self, Member.self, Policy.self])

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
            for p in registry.policies { print("  \(column(p.name.rawValue, 14))\(p.body.utf8.count) bytes, \(p.updatedAt.formatted(.iso8601))") }
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

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a policy's text (the rule engine reads it in a later version).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The policy's name.") var name: String
        @Option(help: "The file holding its text.") var file: String

        func run() async throws {
            let text = String(decoding: try readFile(file), as: UTF8.self)
            let record: PolicyRecord = try await dataDir.client().send(.PUT, apiPath("tccs", tcc.tcc, "policies", name), json: PolicyRequest(body: text))
            print("policy \(record.name) set (\(record.body.utf8.count) bytes)")
        }
    }
}
