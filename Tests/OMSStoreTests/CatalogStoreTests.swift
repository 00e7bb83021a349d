import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// The catalog of public manifests: the newest announcement per community, searched with
/// FTS5 by words, whatever a stranger types, and kept across a restart.
@Suite struct CatalogStoreTests {
    static func announcement(
        name: String, purpose: String, tags: String, version: UInt64 = 1, founder: Ed25519.PrivateKey = Ed25519.PrivateKey(),
        create: SignedCommunityEvent? = nil
    ) throws -> ManifestAnnouncement {
        let manifest = try ManifestDocument(
            yaml: """
                manifest: 1
                name: \(name)
                purpose: \(purpose)
                tags: [\(tags)]
                discovery: public
                governance:
                  roles: [admin, member]
                  decisions: {manifest: {by: admin}, roles: {by: admin}, apps: {by: admin}, admission: {by: admin}, suspension: {by: admin}}
                joining: {mode: open}
                departure: {export: false, retain: 0d}
                """)
        let create = try create
            ?? CommunityEvent(
                community: nil, time: 1_800_000_000_000, parents: [],
                body: .create(group: .community, tcc: TCCID(uncheckedBytes: SecureRandom.bytes(32)), node: NodeID(uncheckedBytes: SecureRandom.bytes(32)), manifest: manifest)
            ).signed(with: founder)
        return try ManifestAnnouncement.sign(create: create, version: version, manifest: manifest, with: founder)
    }

    @Test func searchFindsEveryWordAsAPrefixAndKeepsOnlyTheNewestVersion() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        var (store, _) = try scratch.initialize()
        let founder = Ed25519.PrivateKey()
        let riders = try Self.announcement(name: "berlin-riders", purpose: "Cyclists of Berlin pool their steps.", tags: "cycling, berlin", founder: founder)
        let gardens = try Self.announcement(name: "kreuzberg-gardens", purpose: "Allotments and their harvests.", tags: "gardening, berlin")
        #expect(try store.catalog(riders, receivedAtMs: 1))
        #expect(try store.catalog(gardens, receivedAtMs: 2))
        #expect(try store.searchCatalog("berlin").count == 2)
        #expect(try store.searchCatalog("cycl").map(\.name) == ["berlin-riders"], "a word matches as a prefix")
        #expect(try store.searchCatalog("riders").map(\.name) == ["berlin-riders"], "a name's parts are words")
        #expect(try store.searchCatalog("berlin harvest").map(\.name) == ["kreuzberg-gardens"], "every word must match")
        #expect(try store.searchCatalog("").map(\.name) == ["kreuzberg-gardens", "berlin-riders"], "no words: newest first")
        // Whatever is typed is words, never FTS5 syntax.
        for hostile in ["\"", "berlin\" OR \"x", "*", "NEAR(", "a:b", "-berlin", "'; DROP TABLE catalog; --"] {
            _ = try store.searchCatalog(hostile)
        }
        #expect(try store.catalogCount() == 2)
        // Version 2 replaces version 1 in the entry and the index; version 1 again does not.
        let renamed = try Self.announcement(
            name: "berlin-riders", purpose: "Cyclists of Berlin and Potsdam.", tags: "cycling", version: 2, founder: founder, create: riders.create)
        #expect(try store.catalog(renamed, receivedAtMs: 3))
        #expect(try !store.catalog(riders, receivedAtMs: 4))
        #expect(try store.searchCatalog("potsdam").map(\.version) == [2])
        #expect(try store.searchCatalog("pool").isEmpty, "the old purpose is gone from the index")
        #expect(try store.catalogEntry(riders.community)?.announcement == renamed.envelope.bytes)
        #expect(try store.catalogEntry(riders.community)?.entry.receivedAtMs == 3)
        // Two rival announcements of one version: the greater content id is kept, in either order.
        let rival = try Self.announcement(
            name: "berlin-riders", purpose: "Cyclists of Berlin, a rival text.", tags: "cycling", version: 2, founder: founder, create: riders.create)
        let greater = renamed.content.bytes.lexicographicallyPrecedes(rival.content.bytes) ? rival : renamed
        #expect(try store.catalog(rival, receivedAtMs: 5) == (greater == rival))
        #expect(try store.catalogEntry(riders.community)?.entry.content == greater.content)
        #expect(try store.searchCatalog("berlin").count == 2, "one index row per community, whatever replaced it")
        #expect(try store.catalogEntry(riders.community)?.entry.receivedAtMs == (greater == rival ? 5 : 3))
        // Kept across a restart of the store.
        store = try NodeStore(directory: scratch.data)
        #expect(try store.catalogAnnouncements().count == 2)
        #expect(try store.catalogEntry(riders.community)?.entry.manifestHash == greater.manifest.hash.hex)
    }
}
