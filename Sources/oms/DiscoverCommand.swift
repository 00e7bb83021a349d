import ArgumentParser
import Foundation
import OMSAPI
import OMSStore

/// Searches the public manifests this node has heard of by gossip (protocol-spec §17).
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Search the public communities and institutions gossip has brought to this node.",
        discussion: """
            Every word must match the name, purpose or tags (a word matches as a prefix: 'cycl' finds \
            'cycling'). No words lists everything, newest first. --show prints one manifest's text.
            """)

    @OptionGroup var dataDir: DataDirectoryOptions
    @Argument(help: "Words to look for.") var words: [String] = []
    @Option(help: "Print the manifest of this community id (tcc1...) instead.") var show: String?
    @Option(help: "At most this many results (1 to 200).") var limit = 20
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let client = try dataDir.client()
        if let show {
            let reply: CatalogManifest = try await client.get("/v1/manifests/\(show)")
            if json { return try printJSON(reply) }
            print("# \(reply.entry.name) (\(reply.entry.kind) \(reply.entry.community), version \(reply.entry.version), hash \(reply.entry.manifestHash))")
            print(reply.manifest, terminator: reply.manifest.hasSuffix("\n") ? "" : "\n")
            return
        }
        let query = words.joined(separator: " ").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let reply: CatalogResponse = try await client.get("/v1/manifests?q=\(query)&limit=\(limit)")
        if json { return try printJSON(reply) }
        guard !reply.manifests.isEmpty else {
            print(words.isEmpty ? "no public manifest has reached this node yet" : "nothing matches '\(words.joined(separator: " "))'")
            return
        }
        for entry in reply.manifests {
            let tags = entry.tags.isEmpty ? "" : "  [\(entry.tags.joined(separator: ", "))]"
            print("\(entry.name)  \(entry.kind) \(entry.community)  v\(entry.version)\(tags)")
            print("    \(entry.purpose.split(separator: "\n").first.map(String.init) ?? "")")
        }
    }

    private func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
