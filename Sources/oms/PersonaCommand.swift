import ArgumentParser
import Foundation
import OMSAPI
import OMSStore

struct PersonaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persona", abstract: "Personas: one key per context, unlinkable unless you link them.",
        subcommands: [Create.self, List.self, Link.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a persona, with its own random key, for a context.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The context: a community, an app, a shop.") var context: String

        func run() async throws {
            let persona: PersonaRecord = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "personas"), json: CreatePersonaRequest(context: context))
            print("created persona \(persona.context) \(persona.id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a TCC's personas and the links between them.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let client = try dataDir.client()
            let personas: [PersonaRecord] = try await client.get(apiPath("tccs", tcc.tcc, "personas"))
            let links: [PersonaLinkRecord] = try await client.get(apiPath("tccs", tcc.tcc, "persona-links"))
            if json { return try printJSON(personas) }
            for persona in personas { print(column(persona.context.rawValue, 16) + persona.id.description) }
            let contexts = Dictionary(personas.map { ($0.id, $0.context.rawValue) }, uniquingKeysWith: { a, _ in a })
            for link in links { print("linked: \(contexts[link.first] ?? link.first.short) = \(contexts[link.second] ?? link.second.short)") }
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign, with both keys, that two personas are the same owner; show the link only to whom you choose.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The first persona (id or context).") var first: String
        @Argument(help: "The second persona (id or context).") var second: String
        @Option(help: "Write the signed link (oms/persona-link envelope) to this file.") var out: String?

        func run() async throws {
            let link: PersonaLinkRecord = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "persona-links"), json: LinkPersonasRequest(first: first, second: second))
            if let out { try writePrivateFile(link.envelope, to: out) }
            print("linked \(link.first.short) and \(link.second.short)\(out.map { "; signed link in \($0)" } ?? "")")
        }
    }
}
