import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// The hosting tables through `NodeStore`: what goes in comes back by every lookup, what
/// clashes is refused without a partial write, and deleting a TCF takes exactly its rows.
@Suite struct HostingStoreTests {
    @Test func tcfTCCAndPersonaAreFoundByIdNameAndPersona() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        let alice = try tcf.insertTCC("alice", into: store)
        let garden = try tcf.insertPersona("garden-club", of: alice, into: store)
        let shop = try tcf.insertPersona("bike-shop", of: alice, into: store)

        #expect(try store.tcfs() == [tcf.record])
        #expect(try store.tcf(tcf.id) == tcf.record)
        #expect(try store.tcf(named: Name("home")) == tcf.record)
        #expect(try store.tcf(named: Name("away")) == nil)
        #expect(try store.tcf(TCFID(bytes: SecureRandom.bytes(32))) == nil)

        // The secrets come back as stored and open with the node's and the TCF's keys.
        let secrets = try store.tcfSecrets(tcf.id)
        let key = try TCFSealing.unwrap(
            secrets.wrappedKey, tcf: tcf.id, under: TCFSealing.wrappingKey(nodeIdentity: node))
        #expect(key == tcf.key)
        let owner = try TCFSealing.open(
            secrets.sealedOwner, publicKey: tcf.owner.publicKey.rawRepresentation, tcf: tcf.id, under: key)
        #expect(owner.seed == tcf.owner.seed)

        #expect(try store.tcc(alice.id) == alice.record)
        #expect(try store.tcc(named: Name("alice"), in: tcf.id) == alice.record)
        #expect(try store.tcc(named: Name("alice"), in: TCFID(bytes: SecureRandom.bytes(32))) == nil)
        #expect(try store.tcc(named: Name("bob"), in: tcf.id) == nil)
        #expect(try store.tccCount(tcf: tcf.id) == 1)
        let root = try TCFSealing.open(
            try store.tccSealedKey(alice.id), publicKey: alice.id.bytes, tcf: tcf.id, under: key)
        #expect(root.seed == alice.key.seed)

        #expect(try store.tcc(persona: garden.id) == alice.record)
        #expect(try store.tcc(persona: shop.id) == alice.record)
        #expect(try store.tcc(persona: PersonaID(bytes: SecureRandom.bytes(32))) == nil)
        #expect(try store.persona(garden.id) == garden.record)
        #expect(try store.persona(tcc: alice.id, context: Name("bike-shop")) == shop.record)
        #expect(try store.persona(tcc: alice.id, context: Name("school")) == nil)
        // In context order.
        #expect(try store.personas(tcc: alice.id) == [shop.record, garden.record])
        let personaKey = try TCFSealing.open(
            try store.personaSealedKey(garden.id), publicKey: garden.id.bytes, tcf: tcf.id, under: key)
        #expect(personaKey.seed == garden.key.seed)

        #expect(hostingError { try store.tccSealedKey(TCCID(bytes: SecureRandom.bytes(32))) }?.code == .notFound)
        #expect(
            hostingError { try store.personaSealedKey(PersonaID(bytes: SecureRandom.bytes(32))) }?.code == .notFound)
        #expect(hostingError { try store.tcfSecrets(TCFID(bytes: SecureRandom.bytes(32))) }?.code == .notFound)

        try store.setTCFState(tcf.id, .stopped)
        #expect(try store.tcf(tcf.id)?.state == .stopped)

        // All of it is in the file, not only in a cache.
        let reopened = try NodeStore(directory: scratch.data)
        #expect(try reopened.tcc(persona: garden.id) == alice.record)
        #expect(try reopened.tcf(tcf.id)?.state == .stopped)
    }

    @Test func aTCFNameTakenIsRefusedAndChangesNothing() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let first = try HostedTCF.insert("home", into: store, node: node)
        let second = try HostedTCF.make("home", node: node)

        let error = hostingError {
            try store.insertTCF(second.tcf.record, wrappedKey: second.wrappedKey, sealedOwner: second.sealedOwner)
        }
        #expect(error?.code == .duplicate)
        #expect(try store.tcfs() == [first.record])
        #expect(try store.tcf(second.tcf.id) == nil)
        #expect(try store.tcfSecrets(first.id).wrappedKey != second.wrappedKey)
    }

    @Test func aTCCNameTakenInTheSameTCFIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        let alice = try tcf.insertTCC("alice", into: store)
        let impostor = try tcf.makeTCC("alice", kind: .community)

        #expect(
            hostingError { try store.insertTCC(impostor.record, sealedKey: impostor.sealedKey) }?.code == .duplicate)
        #expect(try store.tccCount(tcf: tcf.id) == 1)
        #expect(try store.tcc(impostor.id) == nil)
        #expect(try store.tcc(named: Name("alice"), in: tcf.id) == alice.record)
        #expect(try store.tccSealedKey(alice.id) == alice.sealedKey)

        // The same id under another name is refused too.
        var sameID = alice.record
        sameID.name = try Name("alice-again")
        #expect(hostingError { try store.insertTCC(sameID, sealedKey: alice.sealedKey) }?.code == .duplicate)
        #expect(try store.tcc(named: Name("alice-again"), in: tcf.id) == nil)
    }

    @Test func aBatchWithOneNameTakenInsertsNoneOfIt() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        _ = try tcf.insertTCC("alice", into: store)

        // The clash is in the middle: the TCCs before it must be rolled back.
        let batch = try ["bob", "carol", "alice", "dave"].map { try tcf.makeTCC($0) }
        #expect(hostingError { try store.insertTCCs(batch.map { ($0.record, $0.sealedKey) }) }?.code == .duplicate)
        #expect(try store.tccCount(tcf: tcf.id) == 1)
        for tcc in batch where tcc.record.name.rawValue != "alice" {
            #expect(try store.tcc(tcc.id) == nil)
        }

        // A batch that clashes with itself.
        let twins = try ["erin", "erin"].map { try tcf.makeTCC($0) }
        #expect(hostingError { try store.insertTCCs(twins.map { ($0.record, $0.sealedKey) }) }?.code == .duplicate)
        #expect(try store.tcc(named: Name("erin"), in: tcf.id) == nil)

        // The same names without the clash all go in.
        let clean = try ["bob", "carol", "dave"].map { try tcf.makeTCC($0) }
        try store.insertTCCs(clean.map { ($0.record, $0.sealedKey) })
        #expect(try store.tccCount(tcf: tcf.id) == 4)
        #expect(try store.tccs(tcf: tcf.id).map(\.name.rawValue) == ["alice", "bob", "carol", "dave"])
    }

    @Test func theSameTCCNameInTwoTCFsIsFine() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let home = try HostedTCF.insert("home", into: store, node: node)
        let work = try HostedTCF.insert("work", into: store, node: node)
        let atHome = try home.insertTCC("alice", into: store)
        let atWork = try work.insertTCC("alice", into: store)

        #expect(try store.tcc(named: Name("alice"), in: home.id) == atHome.record)
        #expect(try store.tcc(named: Name("alice"), in: work.id) == atWork.record)
        #expect(atHome.id != atWork.id)
        #expect(try store.tccCount(tcf: home.id) == 1)
        #expect(try store.tccCount(tcf: work.id) == 1)
    }

    @Test func aSecondPersonaForTheSameContextIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        let alice = try tcf.insertTCC("alice", into: store)
        let bob = try tcf.insertTCC("bob", into: store)
        let first = try tcf.insertPersona("garden-club", of: alice, into: store)

        #expect(hostingError { try tcf.insertPersona("garden-club", of: alice, into: store) }?.code == .duplicate)
        #expect(try store.personas(tcc: alice.id) == [first.record])
        #expect(try store.persona(tcc: alice.id, context: Name("garden-club")) == first.record)

        // Another TCC may use the same context.
        let bobs = try tcf.insertPersona("garden-club", of: bob, into: store)
        #expect(try store.tcc(persona: bobs.id) == bob.record)
        #expect(try store.personas(tcc: alice.id) == [first.record])
    }

    @Test func aBatchOfPersonasGoesInWholeOrNotAtAll() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        let alice = try tcf.insertTCC("alice", into: store)
        let bob = try tcf.insertTCC("bob", into: store)
        let taken = try tcf.insertPersona("garden-club", of: alice, into: store)

        func make(_ context: String, of tcc: HostedTCC) throws -> (record: PersonaRecord, sealedKey: [UInt8]) {
            let key = Ed25519.PrivateKey()
            let record = PersonaRecord(
                id: try PersonaID(bytes: key.publicKey.rawRepresentation), tcc: tcc.id, context: try Name(context),
                createdAt: HostedTCF.date)
            return (record, TCFSealing.seal(key, tcf: tcf.id, under: tcf.key))
        }

        // The clash (alice's garden-club again) is in the middle: the personas before it are rolled back.
        let clashing = [try make("shop", of: alice), try make("garden-club", of: bob), try make("garden-club", of: alice)]
        #expect(hostingError { try store.insertPersonas(clashing) }?.code == .duplicate)
        #expect(try store.personas(tcc: alice.id) == [taken.record])
        #expect(try store.personas(tcc: bob.id).isEmpty)

        // A batch that clashes with itself.
        let twins = [try make("shop", of: bob), try make("shop", of: bob)]
        #expect(hostingError { try store.insertPersonas(twins) }?.code == .duplicate)
        #expect(try store.personas(tcc: bob.id).isEmpty)

        // A persona of a TCC that is not stored fails the batch too.
        let stranger = try tcf.makeTCC("stranger")
        let orphan = [try make("shop", of: bob), try make("shop", of: stranger)]
        #expect(throws: DatabaseError.self) { try store.insertPersonas(orphan) }
        #expect(try store.personas(tcc: bob.id).isEmpty)

        // Without the clash they all go in, and each finds its TCC and opens under the TCF key.
        let clean = [try make("shop", of: alice), try make("garden-club", of: bob), try make("shop", of: bob)]
        try store.insertPersonas(clean)
        #expect(try store.personas(tcc: alice.id).map(\.context.rawValue) == ["garden-club", "shop"])
        #expect(try store.personas(tcc: bob.id).map(\.context.rawValue) == ["garden-club", "shop"])
        for persona in clean {
            #expect(try store.persona(persona.record.id) == persona.record)
            #expect(try store.tcc(persona: persona.record.id)?.id == persona.record.tcc)
            let sealed = try store.personaSealedKey(persona.record.id)
            #expect(sealed == persona.sealedKey)
            _ = try TCFSealing.open(sealed, publicKey: persona.record.id.bytes, tcf: tcf.id, under: tcf.key)
        }
        try store.insertPersonas([])
    }

    @Test func tccsPageInNameOrder() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        let other = try HostedTCF.insert("other", into: store, node: node)
        let names = ["mallory", "Zed", "alice", "bob", "dave", "carol", "a10", "a2", "eve"]
        let tccs = try names.map { try tcf.makeTCC($0) }
        try store.insertTCCs(tccs.map { ($0.record, $0.sealedKey) })
        _ = try other.insertTCC("bobby", into: store)

        var pages: [[String]] = []
        var after: Name? = nil
        // Bounded, so a page that never advances fails the test rather than hanging it.
        for _ in 0...names.count {
            let page = try store.tccs(tcf: tcf.id, after: after, limit: 4)
            if page.isEmpty { break }
            #expect(page.allSatisfy { $0.tcf == tcf.id })
            pages.append(page.map(\.name.rawValue))
            after = page.last?.name
        }
        #expect(pages.map(\.count) == [4, 4, 1])
        #expect(pages.flatMap { $0 } == ["Zed", "a10", "a2", "alice", "bob", "carol", "dave", "eve", "mallory"])
        #expect(try store.tccs(tcf: tcf.id, after: Name("bob"), limit: 2).map(\.name.rawValue) == ["carol", "dave"])
        #expect(try store.tccs(tcf: tcf.id, after: Name("zz")).isEmpty)
        #expect(Set(try store.tccs(tcf: tcf.id, limit: 100)) == Set(tccs.map(\.record)))
    }

    @Test func claimsAreListedNewestFirstWithRoleAndTypeFilters() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        let alice = try tcf.insertTCC("alice", into: store)
        let bob = try tcf.insertTCC("bob", into: store)
        let garden = try tcf.insertPersona("garden-club", of: alice, into: store)
        let club = Ed25519.PrivateKey()
        let clubID = PartyID.tcc(try TCCID(bytes: club.publicKey.rawRepresentation))
        let revocationID = [UInt8](repeating: 7, count: Claim.revocationIDLength)

        let over18 = try signedClaim(by: alice.party, key: alice.key, about: garden.party, type: "age.over-18")
        let vouch = try signedClaim(
            by: alice.party, key: alice.key, about: bob.party, type: "member", revocationID: revocationID)
        let held = try signedClaim(by: clubID, key: club, about: alice.party, type: "member", value: "since 2020")
        try store.insertClaim(over18, tcc: alice.id, role: .issued)
        try store.insertClaim(vouch, tcc: alice.id, role: .issued)
        try store.insertClaim(held, tcc: alice.id, role: .held)

        #expect(try store.claims(tcc: alice.id).map(\.id) == [held.id, vouch.id, over18.id])
        #expect(try store.claims(tcc: alice.id, role: .issued).map(\.id) == [vouch.id, over18.id])
        #expect(try store.claims(tcc: alice.id, role: .held).map(\.id) == [held.id])
        #expect(try store.claims(tcc: alice.id, type: ClaimType("member")).map(\.id) == [held.id, vouch.id])
        #expect(try store.claims(tcc: alice.id, role: .issued, type: ClaimType("member")).map(\.id) == [vouch.id])
        #expect(try store.claims(tcc: alice.id, role: .held, type: ClaimType("age.over-18")).isEmpty)
        #expect(try store.claims(tcc: bob.id).isEmpty)

        let record = try #require(try store.claims(tcc: alice.id, role: .held).first)
        #expect(record.issuer == clubID.description)
        #expect(record.subject == alice.party.description)
        #expect(record.value == "since 2020")
        #expect(record.tcc == alice.id)
        #expect(!record.revocable && !record.revoked)
        #expect(record.envelope == Data(held.envelope.bytes))
        #expect(try store.claim(vouch.id, tcc: alice.id) == vouch)
        #expect(try store.claim(vouch.id, tcc: bob.id) == nil)

        // The same claim twice in one TCC is refused; another TCC may hold it.
        #expect(hostingError { try store.insertClaim(held, tcc: alice.id, role: .held) }?.code == .duplicate)
        #expect(try store.claims(tcc: alice.id).count == 3)
        try store.insertClaim(vouch, tcc: bob.id, role: .held)
        #expect(try store.claims(tcc: bob.id).map(\.id) == [vouch.id])

        // A revocation with the same id by someone else revokes nothing of alice's.
        let forged = try ClaimRevocation.sign(revocationID: revocationID, at: 1_700_000_100, with: club)
        try store.insertRevocation(forged)
        #expect(try store.claims(tcc: alice.id).allSatisfy { !$0.revoked })
        #expect(try store.isRevoked(forged.key))

        let revocation = try ClaimRevocation.sign(revocationID: revocationID, at: 1_700_000_100, with: alice.key)
        try store.insertRevocation(revocation)
        try store.insertRevocation(revocation)
        #expect(try store.isRevoked(try #require(vouch.revocationKey)))
        let listed = try store.claims(tcc: alice.id)
        #expect(listed.map(\.revoked) == [false, true, false])
        #expect(listed[1].revocable)
        #expect(try store.claims(tcc: bob.id).map(\.revoked) == [true])
    }

    @Test func registryUpsertsUpdateTheRowInPlace() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let tcf = try HostedTCF.insert("home", into: store, node: node)
        let alice = try tcf.insertTCC("alice", into: store)
        let garden = try tcf.insertPersona("garden-club", of: alice, into: store)
        let later = HostedTCF.date.addingTimeInterval(60)
        let peer = TCCID(uncheckedBytes: SecureRandom.bytes(32)).description

        try store.upsertRelationship(
            RelationshipRecord(tcc: alice.id, peer: peer, persona: nil, label: "neighbour", createdAt: HostedTCF.date))
        try store.upsertRelationship(
            RelationshipRecord(tcc: alice.id, peer: peer, persona: garden.id, label: "friend", createdAt: later))
        #expect(
            try store.relationships(tcc: alice.id)
                == [
                    RelationshipRecord(
                        tcc: alice.id, peer: peer, persona: garden.id, label: "friend", createdAt: HostedTCF.date)
                ])
        try store.upsertRelationship(
            RelationshipRecord(tcc: alice.id, peer: "node1other", persona: nil, label: "host", createdAt: later))
        #expect(try store.relationships(tcc: alice.id).map(\.peer) == ["node1other", peer])

        let community = TCCID(uncheckedBytes: SecureRandom.bytes(32))
        try store.upsertMembership(
            MembershipRecord(
                tcc: alice.id, community: community, persona: nil, role: Name("member"), joinedAt: HostedTCF.date))
        try store.upsertMembership(
            MembershipRecord(
                tcc: alice.id, community: community, persona: garden.id, role: Name("admin"), joinedAt: later))
        #expect(
            try store.memberships(tcc: alice.id)
                == [
                    MembershipRecord(
                        tcc: alice.id, community: community, persona: garden.id, role: Name("admin"),
                        joinedAt: HostedTCF.date)
                ])

        let first = try store.setPolicy(tcc: alice.id, name: Name("sharing"), body: "nobody", at: HostedTCF.date)
        let second = try store.setPolicy(tcc: alice.id, name: Name("sharing"), body: "friends", at: later)
        #expect(first.version == 1 && second.version == 2)
        #expect(
            try store.policies(tcc: alice.id) == [
                PolicyRecord(tcc: alice.id, name: Name("sharing"), version: 2, body: "friends", updatedAt: later)
            ])
        #expect(try store.policyVersions(tcc: alice.id, name: Name("sharing")).map(\.body) == ["nobody", "friends"])
        #expect(try store.removePolicy(tcc: alice.id, name: Name("sharing")))
        #expect(try store.policies(tcc: alice.id).isEmpty)
        #expect(try store.policyVersions(tcc: alice.id, name: Name("sharing")).count == 2, "removing keeps the history")
        let third = try store.setPolicy(tcc: alice.id, name: Name("sharing"), body: "again", at: later)
        #expect(third.version == 3, "versions keep counting after a removal")

        let counts = try rowCounts(scratch.data)
        #expect(counts["relationship"] == 2 && counts["membership"] == 1 && counts["policy"] == 1 && counts["policy_version"] == 3)
    }

    @Test func deletingATCFRemovesItsRowsAndOnlyIts() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, node) = try scratch.initialize()
        let doomed = try PopulatedTCF(name: "doomed", store: store, node: node)
        let kept = try PopulatedTCF(name: "kept", store: store, node: node)
        let keptRows = try store.exportTCF(kept.tcf.id)
        let before = try rowCounts(scratch.data)
        #expect(before.values.allSatisfy { $0 > 0 })

        try store.deleteTCF(doomed.tcf.id)

        #expect(try store.tcf(doomed.tcf.id) == nil)
        #expect(try store.tcfs() == [kept.tcf.record])
        #expect(try store.tccCount(tcf: doomed.tcf.id) == 0)
        for tcc in doomed.tccs {
            #expect(try store.tcc(tcc.id) == nil)
            #expect(try store.personas(tcc: tcc.id).isEmpty)
            #expect(try store.personaLinks(tcc: tcc.id).isEmpty)
            #expect(try store.claims(tcc: tcc.id).isEmpty)
            #expect(try store.relationships(tcc: tcc.id).isEmpty)
            #expect(try store.memberships(tcc: tcc.id).isEmpty)
            #expect(try store.policies(tcc: tcc.id).isEmpty)
            #expect(try store.auditEntries(tcc: tcc.id).isEmpty)
            let verification = try store.verifyAudit(tcc: tcc.id, owner: tcc.key.publicKey)
            #expect(verification.entries == 0 && verification.checkpoints == 0)
        }
        #expect(try store.persona(doomed.persona.id) == nil)
        #expect(try !store.isRevoked(doomed.revocation.key))

        // The other TCF is untouched, row for row, and its logs still verify.
        #expect(try store.exportTCF(kept.tcf.id).sameRows(as: keptRows))
        #expect(try store.isRevoked(kept.revocation.key))
        for tcc in kept.tccs {
            let verification = try store.verifyAudit(tcc: tcc.id, owner: tcc.key.publicKey)
            #expect(verification.isIntact && verification.entries == 5 && verification.checkpoints == 3)
        }
        // Every table lost exactly the doomed TCF's half.
        let after = try rowCounts(scratch.data)
        for (table, count) in before {
            #expect(after[table].map { $0 * 2 } == count, "\(table)")
        }
    }
}

/// A TCF with something in every table the hosting layer has, for tests that must see each
/// table handled: two TCCs, a persona pair and its link, claims, a revocation, registry rows,
/// and a checkpointed audit log per TCC.
struct PopulatedTCF {
    let tcf: HostedTCF
    let tccs: [HostedTCC]
    let persona: HostedPersona
    let revocation: ClaimRevocation

    init(name: String, store: NodeStore, node: Ed25519.PrivateKey) throws {
        tcf = try HostedTCF.insert(name, into: store, node: node)
        let alice = try tcf.insertTCC("alice", into: store)
        let club = try tcf.insertTCC("garden-club", into: store, kind: .community)
        tccs = [alice, club]
        persona = try tcf.insertPersona("garden", of: alice, into: store)
        let shop = try tcf.insertPersona("shop", of: alice, into: store)
        try store.insertPersonaLink(tcc: alice.id, try PersonaLink.link(persona.key, shop.key, at: 1_700_000_000))

        let revocationID = SecureRandom.bytes(Claim.revocationIDLength)
        let membership = try signedClaim(
            by: club.party, key: club.key, about: persona.party, type: "member", revocationID: revocationID)
        try store.insertClaim(membership, tcc: club.id, role: .issued, at: HostedTCF.date)
        try store.insertClaim(membership, tcc: alice.id, role: .held, at: HostedTCF.date)
        revocation = try ClaimRevocation.sign(revocationID: revocationID, at: 1_700_000_500, with: club.key)
        try store.insertRevocation(revocation)

        try store.upsertRelationship(
            RelationshipRecord(
                tcc: alice.id, peer: club.id.description, persona: persona.id, label: "club", createdAt: HostedTCF.date)
        )
        try store.upsertMembership(
            MembershipRecord(
                tcc: alice.id, community: club.id, persona: persona.id, role: Name("member"), joinedAt: HostedTCF.date))
        _ = try store.setPolicy(tcc: club.id, name: Name("join"), body: "by invitation", at: HostedTCF.date)

        // The personal data store's rows: a declared stream, a data key, a device, a batch of
        // records sealed in a block, and the rule engine's memory of an answer.
        try store.declareStream(
            StreamRecord(
                tcc: alice.id, name: StreamName("mood"),
                schema: StreamSchema(fields: [.init(name: "score", type: .integer, minimum: 0, maximum: 10)], value: "score"),
                createdAt: HostedTCF.date))
        // Each TCC gets one batch and answers one query, so each log holds two entries and
        // checkpoints more than below.
        for tcc in tccs {
            let dataKey = RecordSealing.newDataKey()
            _ = try store.insertDataKey(tcc: tcc.id, sealed: RecordSealing.sealDataKey(dataKey, tcc: tcc.id, tcf: tcf.id, under: tcf.key))
            try store.insertDevice(
                DeviceRecord(tcc: tcc.id, name: Name("phone"), streams: [.steps], createdAt: HostedTCF.date), tokenHash: SecureRandom.bytes(32))
            let records = [DataRecord(time: 1_700_000_000_000, values: [.integer(120)])]
            let block = RecordSealing.seal(
                RecordBlock.encode(records[...], schema: .steps), tcc: tcc.id, stream: .steps, start: records[0].time, end: records[0].time,
                count: 1, under: dataKey)
            _ = try store.insertBatch(
                tcc: tcc.id, device: Name("phone"), batch: "b1", records: 1, blocks: [block], at: HostedTCF.date,
                audit: (.dataWrite, Array("{}".utf8), tcc.key))
            let query = SecureRandom.bytes(32)
            try store.acceptQuery(tcc: tcc.id, query: query, requester: "persona1x", at: 1_700_000_000_000, expires: 1_700_000_060_000)
            _ = try store.commitAnswer(
                tcc: tcc.id, query: query, requester: "persona1x", at: 1_700_000_000_000, rates: [], epsilon: 0.1, budget: 1,
                audit: (.exchangeAnswer, Array("{}".utf8), tcc.key))
        }

        for tcc in tccs {
            for (n, kind) in [AuditKind.keyUse, .membership, .policyChange].enumerated() {
                try store.appendAudit(
                    tcc: tcc.id, kind: kind, detail: Array("{\"n\":\(n)}".utf8),
                    at: HostedTCF.date.addingTimeInterval(Double(n)))
            }
            try store.checkpointAudit(tcc: tcc.id, key: tcc.key, at: HostedTCF.date.addingTimeInterval(10))
        }
    }
}
