import Foundation
import Hummingbird
import OMSCore
import OMSProtocol
import OMSStore

/// The catalog of public manifests heard of by gossip (protocol-spec §17), open to anyone who
/// can reach the API: it holds only what the communities themselves published to everybody.
extension OwnerAPI {
    func addDiscoveryRoutes(_ router: Router<APIContext>) {
        router.get("v1/manifests") { request, _ -> CatalogResponse in
            let query = request.uri.queryParameters.get("q") ?? ""
            guard query.utf8.count <= 256 else { throw APIError(.badRequest, code: "invalidArgument", "a query is at most 256 bytes") }
            let limit = try request.uri.queryParameters.get("limit").map { text in
                guard let value = Int(text), (1...200).contains(value) else {
                    throw APIError(.badRequest, code: "invalidArgument", "limit is 1 to 200")
                }
                return value
            } ?? 50
            guard let store = node.store else { return CatalogResponse(manifests: []) }
            return CatalogResponse(manifests: try await blocking { try store.searchCatalog(query, limit: limit) })
        }

        router.get("v1/manifests/{community}") { _, context -> CatalogManifest in
            guard let community = TCCID(try context.parameter("community")) else {
                throw APIError(.badRequest, code: "invalidArgument", "a community is named here by its id (tcc1...)")
            }
            guard let store = node.store, let held = try await blocking({ try store.catalogEntry(community) }) else {
                throw APIError(.notFound, code: "notFound", "no public manifest of \(community.short) has reached this node")
            }
            let announcement = try ManifestAnnouncement.open(held.announcement)
            return CatalogManifest(entry: held.entry, manifest: String(decoding: announcement.manifest.bytes, as: UTF8.self))
        }
    }
}

public struct CatalogResponse: Codable, Sendable {
    public var manifests: [CatalogEntry]
}

public struct CatalogManifest: Codable, Sendable {
    public var entry: CatalogEntry
    /// The manifest's exact text, whose hash a join signs.
    public var manifest: String
}

extension CatalogResponse: ResponseEncodable {}
extension CatalogManifest: ResponseEncodable {}
