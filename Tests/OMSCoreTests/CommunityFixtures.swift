import OMSCore
import OMSCrypto
import OMSProtocol

/// People and manifests for community tests: seeded keys, so runs are reproducible.
struct Person {
    let key: Ed25519.PrivateKey
    var persona: PersonaID { PersonaID(uncheckedBytes: key.publicKey.rawRepresentation) }
    var tcc: TCCID { TCCID(uncheckedBytes: BLAKE2b.hash(key.publicKey.rawRepresentation + [1], outputLength: 32)) }
    var node: NodeID { NodeID(uncheckedBytes: BLAKE2b.hash(key.publicKey.rawRepresentation + [2], outputLength: 32)) }

    init(_ name: String) {
        key = try! Ed25519.PrivateKey(seed: BLAKE2b.hash(Array("person \(name)".utf8), outputLength: 32))
    }
}

enum CommunityFixtures {
    static func manifest(joining: String = "approval", decisions: String = "admin", consent: String = "[count, mean]") -> ManifestDocument {
        let rule: String
        switch decisions {
        case "admin": rule = "{by: admin}"
        case "quorum": rule = "{by: quorum, quorum: 0.5, threshold: 0.6, period: 1h}"
        default: rule = "{by: majority, period: 1h}"
        }
        return try! ManifestDocument(
            yaml: """
                manifest: 1
                name: riders
                purpose: Pool our rides.
                governance:
                  roles: [admin, member, steward]
                  decisions: {manifest: \(rule), roles: \(rule), apps: \(rule), admission: \(rule), suspension: \(rule)}
                joining: {mode: \(joining)}
                consent:
                  - {stream: steps, answers: \(consent), min-count: 3}
                departure: {export: true, retain: 0d}
                apps: [route-map]
                """)
    }
}

/// Writes events the way a member's node does: parents are the heads it holds.
struct LogWriter {
    var log: CommunityLog
    var now: UInt64

    init(founder: Person, manifest: ManifestDocument, at time: UInt64 = 1_800_000_000_000) throws {
        let create = try CommunityEvent(
            community: nil, time: time, parents: [],
            body: .create(group: .community, tcc: founder.tcc, node: founder.node, manifest: manifest)
        ).signed(with: founder.key)
        log = try CommunityLog(create: create)
        now = time
    }

    var community: TCCID { log.community }
    var manifestHash: [UInt8] { log.state.manifest!.hash }

    func event(_ body: CommunityEvent.Body, by person: Person, at time: UInt64? = nil) throws -> SignedCommunityEvent {
        let parents = log.heads.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        return try CommunityEvent(community: community, time: time ?? now, parents: Array(parents.prefix(16)), body: body)
            .signed(with: person.key)
    }

    /// Writes and inserts; the clock moves on a millisecond.
    @discardableResult
    mutating func write(_ body: CommunityEvent.Body, by person: Person) throws -> SignedCommunityEvent {
        now += 1
        let signed = try event(body, by: person)
        try log.insert(signed, now: now)
        return signed
    }

    func join(_ person: Person) -> CommunityEvent.Body {
        .join(manifestHash: manifestHash, tcc: person.tcc, node: person.node, evidence: [])
    }
}
