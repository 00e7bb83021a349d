import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// The fold's rules as a founder, newcomers and admins live them, and the one property that
/// makes replicas agree: the same events in any order of arrival give the same state.
struct CommunityLogTests {
    let ada = Person("ada"), bob = Person("bob"), cyd = Person("cyd"), dan = Person("dan"), eve = Person("eve")

    @Test func anApprovalCommunityAdmitsOnlyWhomAnAdminApproves() throws {
        var writer = try LogWriter(founder: ada, manifest: CommunityFixtures.manifest())
        #expect(writer.log.state.isAdmin(ada.persona) && writer.log.state.members[ada.persona]?.roles == ["admin", "member"])
        try writer.write(writer.join(bob), by: bob)
        #expect(writer.log.state.applicants[bob.persona] != nil && !writer.log.state.isActive(bob.persona))
        // Not yet a member, bob cannot approve himself; nor can a plain member approve anyone.
        let outsider = try #require(throws: CommunityError.self) { try writer.write(.action(.approve(bob.persona)), by: bob) }
        #expect(outsider.code == .notMember)
        try writer.write(.action(.approve(bob.persona)), by: ada)
        #expect(writer.log.state.isActive(bob.persona) && writer.log.state.members[bob.persona]?.roles == ["member"])
        try writer.write(writer.join(cyd), by: cyd)
        let refusal = try #require(throws: CommunityError.self) { try writer.write(.action(.approve(cyd.persona)), by: bob) }
        #expect(refusal.code == .notAuthorized)
        let double = try #require(throws: CommunityError.self) { try writer.write(writer.join(bob), by: bob) }
        #expect(double.code == .alreadyMember)
        let wrong = try #require(throws: CommunityError.self) {
            try writer.write(.join(manifestHash: [UInt8](repeating: 7, count: 32), tcc: dan.tcc, node: dan.node, evidence: []), by: dan)
        }
        #expect(wrong.code == .wrongManifest)
        try writer.write(.action(.reject(cyd.persona, reason: "unknown to us")), by: ada)
        #expect(writer.log.state.applicants.isEmpty && writer.log.state.members[cyd.persona] == nil)
        try writer.write(.leave, by: bob)
        #expect(writer.log.state.members[bob.persona]?.status == .left)
        let departed = try #require(throws: CommunityError.self) { try writer.write(.action(.invite(dan.persona)), by: bob) }
        #expect(departed.code == .notMember)
        // A refused event leaves no trace: the log holds exactly what was accepted.
        #expect(writer.log.order.count == 6 && writer.log.void.isEmpty)
    }

    @Test func votesDecideUnderQuorumThresholdAndDeadline() throws {
        var writer = try LogWriter(founder: ada, manifest: CommunityFixtures.manifest(joining: "open", decisions: "quorum"))
        for person in [bob, cyd, dan] { try writer.write(writer.join(person), by: person) }
        #expect(writer.log.state.members.count == 4)
        let direct = try #require(throws: CommunityError.self) { try writer.write(.action(.app(add: true, name: "route-map")), by: ada) }
        #expect(direct.code == .notAuthorized)

        let apps = try writer.write(.propose(.app(add: true, name: "route-map")), by: bob)
        for person in [ada, bob, cyd] { try writer.write(.vote(proposal: apps.id, yes: true), by: person) }
        let twice = try #require(throws: CommunityError.self) { try writer.write(.vote(proposal: apps.id, yes: false), by: cyd) }
        #expect(twice.code == .doubleVote)
        let early = try #require(throws: CommunityError.self) { try writer.write(.enact(proposal: apps.id), by: ada) }
        #expect(early.code == .tooEarly)
        try writer.write(.vote(proposal: apps.id, yes: false), by: dan)
        try writer.write(.enact(proposal: apps.id), by: dan)  // everyone voted: no need to wait
        #expect(writer.log.state.proposals[apps.id]?.status == .passed && writer.log.state.apps == ["route-map"])

        // One vote of four is below a quorum of half: it fails once the hour is over.
        let role = try writer.write(.propose(.role(cyd.persona, grant: true, name: "steward")), by: ada)
        try writer.write(writer.join(eve), by: eve)
        try writer.write(.vote(proposal: role.id, yes: true), by: ada)
        let late = try #require(throws: CommunityError.self) { try writer.write(.vote(proposal: role.id, yes: true), by: eve) }
        #expect(late.code == .notEligible)
        writer.now += 3_600_000
        let closed = try #require(throws: CommunityError.self) { try writer.write(.vote(proposal: role.id, yes: true), by: bob) }
        #expect(closed.code == .closed)
        try writer.write(.enact(proposal: role.id), by: bob)
        #expect(writer.log.state.proposals[role.id]?.status == .failed)
        #expect(writer.log.state.members[cyd.persona]?.roles == ["member"])
    }

    @Test func aChangedConsentSectionAsksEveryMemberAgain() throws {
        var writer = try LogWriter(founder: ada, manifest: CommunityFixtures.manifest(joining: "open"))
        try writer.write(writer.join(bob), by: bob)
        #expect(writer.log.state.consents(bob.persona))
        try writer.write(.action(.manifest(CommunityFixtures.manifest(joining: "open", consent: "[count]"))), by: ada)
        #expect(writer.log.state.consents(ada.persona) && !writer.log.state.consents(bob.persona))
        let stale = try #require(throws: CommunityError.self) {
            try writer.write(.consent(manifestHash: CommunityFixtures.manifest(joining: "open").hash), by: bob)
        }
        #expect(stale.code == .wrongManifest)
        try writer.write(.consent(manifestHash: writer.manifestHash), by: bob)
        #expect(writer.log.state.consents(bob.persona) && writer.log.state.version == 2)
        // A new manifest with the same consent section keeps the terms: nobody is asked again.
        try writer.write(.action(.manifest(CommunityFixtures.manifest(joining: "approval", consent: "[count]"))), by: ada)
        #expect(writer.log.state.consents(bob.persona) && writer.log.state.version == 3)
    }

    /// Two partitions write concurrently from the same heads; every order of arrival that a
    /// network could produce (parents may arrive after children: they are held back and
    /// retried, as a node fetches missing parents) gives the same order, state hash and void set.
    @Test func anyOrderOfArrivalFoldsToTheSameState() throws {
        var writer = try LogWriter(founder: ada, manifest: CommunityFixtures.manifest(joining: "open", decisions: "majority"))
        for person in [bob, cyd, dan] { try writer.write(writer.join(person), by: person) }
        let proposal = try writer.write(.propose(.suspend(dan.persona, reason: "spam")), by: bob)
        let fork = writer

        // Partition one: ada and bob vote yes; after the deadline ada enacts (2 to 0: passed, here).
        var left = fork
        try left.write(.vote(proposal: proposal.id, yes: true), by: ada)
        try left.write(.vote(proposal: proposal.id, yes: true), by: bob)
        left.now += 3_600_000
        try left.write(.enact(proposal: proposal.id), by: ada)
        #expect(left.log.state.members[dan.persona]?.status == .suspended)
        // Partition two: cyd and dan vote no, cyd leaves, and dan enacts a little later.
        var right = fork
        try right.write(.vote(proposal: proposal.id, yes: false), by: cyd)
        try right.write(.vote(proposal: proposal.id, yes: false), by: dan)
        try right.write(.leave, by: cyd)
        right.now += 3_600_010
        let lateEnact = try right.write(.enact(proposal: proposal.id), by: dan)

        let shared = Array(fork.log.order.dropFirst())
        let branchEvents = (left.log.order + right.log.order).filter { fork.log.events[$0] == nil }
        let all = shared.map { fork.log.events[$0]! } + branchEvents.map { left.log.events[$0] ?? right.log.events[$0]! }
        // The merge: whoever sees both branches writes an event over both heads.
        var merged = left
        for id in right.log.order where merged.log.events[id] == nil { try merged.log.insert(right.log.events[id]!, now: merged.now) }
        let reference = merged.log

        var generator = SplitMix64(seed: 42)
        for _ in 0..<200 {
            var log = try CommunityLog(create: writer.log.create)
            var pending = all.shuffled(using: &generator)
            var progress = true
            while !pending.isEmpty && progress {
                progress = false
                var held: [SignedCommunityEvent] = []
                for event in pending {
                    do {
                        try log.insert(event, now: 1_900_000_000_000)
                        progress = true
                    } catch {
                        #expect(error.code == .missingParents)
                        held.append(event)
                    }
                }
                pending = held
            }
            #expect(pending.isEmpty)
            #expect(log.state.hash == reference.state.hash)
            #expect(log.order == reference.order)
            #expect(log.void.keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
                == reference.void.keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        }
        // What a replica holding any one event lacks is everything but that event and its
        // ancestors, however the answer is found (by the checkpoints or by walking the DAG).
        for id in reference.order {
            var ancestors: Set<ObjectID> = [id]
            var stack = [id]
            while let next = stack.popLast() {
                for parent in reference.events[next]!.event.parents where ancestors.insert(parent).inserted { stack.append(parent) }
            }
            let lacking = reference.missing(after: [id], limit: 10_000, byteLimit: 1 << 30)
            #expect(lacking.complete && lacking.events.map(\.id) == reference.order.filter { !ancestors.contains($0) })
        }
        let firstBatch = reference.missing(after: [reference.create.id], limit: 3, byteLimit: 1 << 30)
        #expect(!firstBatch.complete && firstBatch.events.map(\.id) == Array(reference.order[1...3]))

        // Merged, all four votes precede both enacts: 2 to 2 is no majority, and the second enact
        // finds the proposal closed.
        #expect(reference.heads.count == 2)
        #expect(reference.state.proposals[proposal.id]?.status == .failed)
        #expect(reference.state.members[dan.persona]?.status == .active)
        #expect(reference.void.keys.map { $0 } == [lateEnact.id] && reference.void[lateEnact.id]?.code == .closed)
    }
}


extension SplitMix64: RandomNumberGenerator {}

extension CommunityLogTests {
    /// Events that share one time (children too, as a node's clock allows) are ordered by id
    /// alone, and the last event of the order is then not always the greatest: every arrival
    /// order must still give the order and state of the plain fold (take the least available
    /// event, apply, repeat), written here without the log's shortcuts.
    @Test func equalTimesFoldLikeThePlainFoldInAnyArrivalOrder() throws {
        let founder = ada
        let people = (0..<6).map { Person("member \($0)") }
        var writer = try LogWriter(founder: founder, manifest: CommunityFixtures.manifest(joining: "open", decisions: "majority"), at: 1_800_000_000_000)
        let create = writer.log.create
        let t = create.event.time
        func event(_ body: CommunityEvent.Body, by person: Person, parents: [ObjectID]) throws -> SignedCommunityEvent {
            try CommunityEvent(community: writer.community, time: t, parents: parents.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }, body: body)
                .signed(with: person.key)
        }
        let joins = try people.map { try event(writer.join($0), by: $0, parents: [create.id]) }
        let proposal = try event(.propose(.app(add: true, name: "route-map")), by: founder, parents: joins.map(\.id))
        var all = [create] + joins + [proposal]
        for person in people {
            let vote = try event(.vote(proposal: proposal.id, yes: Bool.random()), by: person, parents: [proposal.id])
            all.append(vote)
            all.append(try event(.leave, by: person, parents: [vote.id]))
        }
        _ = writer

        // The plain fold.
        var taken: Set<ObjectID> = []
        var plainOrder: [ObjectID] = []
        var plain = CommunityState()
        while plainOrder.count < all.count {
            let next = all.filter { !taken.contains($0.id) && $0.event.parents.allSatisfy(taken.contains) }
                .min { $0.event.time != $1.event.time ? $0.event.time < $1.event.time : $0.id.bytes.lexicographicallyPrecedes($1.id.bytes) }!
            taken.insert(next.id)
            plainOrder.append(next.id)
            try? plain.apply(next)
        }

        var generator = SplitMix64(seed: 7)
        for _ in 0..<300 {
            var log = try CommunityLog(create: create)
            var pending = Array(all.dropFirst()).shuffled(using: &generator)
            while !pending.isEmpty {
                var held: [SignedCommunityEvent] = []
                for event in pending {
                    do {
                        try log.insert(event, now: t)
                    } catch {
                        #expect(error.code == .missingParents, "\(error)")
                        held.append(event)
                    }
                }
                guard held.count < pending.count else { break }
                pending = held
            }
            #expect(log.order == plainOrder)
            #expect(log.state.hash == plain.hash)
            let restored = try CommunityLog(restoring: log.order.map { log.events[$0]! })
            #expect(restored.order == plainOrder && restored.state.hash == plain.hash)
        }
    }
}
