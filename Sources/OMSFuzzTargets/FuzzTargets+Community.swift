import OMSCore
import OMSCrypto
import OMSProtocol

extension FuzzTargets {
    /// The community log (protocol-spec/README.md section 15): the bytes go to
    /// `SignedCommunityEvent.open` and `open(stored:)`, which must agree (the stored opener skips
    /// only the signature), and an event that opens must keep its bytes, re-encode to exactly its
    /// payload, be named by the hash of its bytes and respect the limits of its decoder. It is
    /// then inserted into a copy of `CommunityFixture`'s log at the fixture's clock: refused with a
    /// code of the log (the log left as it was), or accepted once, as a head, into a log whose
    /// incremental fold agrees with the log restored from its own order and with a plain fold from
    /// scratch (order, state hash, void events). As `exchange` does, an input that decodes as an
    /// envelope of the event type is also signed afresh with the key of its author (the vectors'
    /// people, else a stranger's fixed key) and opened again, so the fuzzer's payloads reach the
    /// decoder behind the signature and the log's authority checks.
    public static func community(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        try openCommunityEvent(bytes)
        if let envelope = try? Envelope(decoding: bytes, maximumPayload: CommunityEvent.maximumPayload),
            envelope.type == CommunityEvent.type
        {
            let resigned = Envelope.sign(
                type: envelope.type, payload: envelope.payload, with: CommunityFixture.shared.key(for: envelope.signer)
            ).bytes
            if resigned != bytes { try openCommunityEvent(resigned) }
        }
    }

    static func openCommunityEvent(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        var opened: SignedCommunityEvent?
        var refusal: CommunityError?
        do {
            opened = try SignedCommunityEvent.open(bytes)
        } catch {
            refusal = error
        }
        let stored = try? SignedCommunityEvent.open(stored: bytes)
        if let opened {
            try invariant(stored == opened, "an event opens otherwise from storage than with its signature")
            try communityEventInvariants(opened, bytes)
            try communityLogInvariants(opened)
        } else if let stored {
            try invariant(
                refusal?.code == .badSignature,
                "an event that opens from storage is refused as \(refusal?.code.name ?? ""), not badSignature")
            try communityEventInvariants(stored, bytes)
        }
    }

    static func communityEventInvariants(_ signed: SignedCommunityEvent, _ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        let event = signed.event
        let envelope = signed.envelope
        try invariant(envelope.bytes == bytes, "an event keeps other bytes than it opened")
        try invariant(envelope.type == CommunityEvent.type, "an event opened from an envelope of type \(envelope.type)")
        try invariant(envelope.payload.count <= CommunityEvent.maximumPayload, "an event's payload is over the limit")
        try invariant(event.encodePayload() == envelope.payload, "an event does not re-encode to its payload")
        try invariant(signed.id.bytes == BLAKE2b.hash(bytes, outputLength: 32), "an event's id is not the hash of its bytes")
        try invariant(signed.author.bytes == envelope.signer.rawRepresentation, "an event's author is not its signer")
        try invariant(event.parents.count <= CommunityEvent.maximumParents, "an event names \(event.parents.count) parents")
        try invariant(
            zip(event.parents, event.parents.dropFirst()).allSatisfy { $0.bytes.lexicographicallyPrecedes($1.bytes) },
            "an event's parents are not strictly ascending")
        let isCreate = event.body.kind == .create
        try invariant(
            isCreate == event.parents.isEmpty && isCreate == (event.community == nil),
            "a create event has parents or a community, or another event has none")
        try invariant(!(event.community?.bytes.allSatisfy { $0 == 0 } ?? false), "an event names the zero community")
        switch event.body {
        case .create(_, _, _, let manifest): try manifestInvariants(manifest)
        case .join(let hash, _, _, let evidence):
            try invariant(hash.count == 32 && evidence.count <= CommunityEvent.maximumEvidence, "a join breaks its limits")
        case .consent(let hash): try invariant(hash.count == 32, "a consent's manifest hash is not 32 bytes")
        case .action(let action), .propose(let action):
            switch action {
            case .reject(_, let reason), .suspend(_, let reason):
                try invariant(
                    reason.utf8.count <= CommunityEvent.maximumReason
                        && !reason.unicodeScalars.contains { $0.properties.generalCategory == .control },
                    "a reason breaks the rule")
            case .role(_, _, let name), .app(_, let name): try invariant(Manifest.isName(name.utf8), "'\(name)' is not a name")
            case .manifest(let manifest): try manifestInvariants(manifest)
            case .affiliate(_, _, _, let hash): try invariant(hash.count == 32, "an affiliation's manifest hash is not 32 bytes")
            case .approve, .reinstate, .invite, .disaffiliate: break
            }
        case .leave, .vote, .enact: break
        }
    }

    static func manifestInvariants(_ manifest: ManifestDocument) throws(FuzzInvariantViolation) {
        try invariant((1...Manifest.maximumBytes).contains(manifest.bytes.count), "a manifest of \(manifest.bytes.count) bytes")
        try invariant(manifest.hash == Manifest.hash(manifest.bytes), "a manifest's hash is not the hash of its bytes")
    }

    /// Codes only opening gives: the log never refuses an event that opened with one of them.
    static let openingCodes: Set<CommunityError.Code> = [.malformed, .wrongType, .badSignature]

    static func communityLogInvariants(_ signed: SignedCommunityEvent) throws(FuzzInvariantViolation) {
        let fixture = CommunityFixture.shared
        let before = fixture.log
        var log = before
        do {
            try log.insert(signed, now: CommunityFixture.now)
        } catch {
            try invariant(!openingCodes.contains(error.code), "the log refuses an opened event as \(error.code)")
            try invariant(
                log.order == before.order && log.heads == before.heads && log.state == before.state
                    && log.void.mapValues(\.code) == before.void.mapValues(\.code),
                "a refused event (\(error.code)) changed the log")
            return
        }
        let id = signed.id
        try invariant(log.events[id] == signed, "an accepted event is not held as it was given")
        try invariant(log.order.count == before.order.count + 1, "accepting one event did not grow the order by one")
        try invariant(log.order.count(where: { $0 == id }) == 1, "an accepted event is not in the order exactly once")
        try invariant(
            log.heads == before.heads.subtracting(signed.event.parents).union([id]),
            "the heads are not the old ones less the event's parents, plus the event")

        // The incremental fold against the log restored from its own order, and against a fold
        // from scratch written plainly.
        let restored: CommunityLog
        do {
            restored = try CommunityLog(restoring: log.order.map { log.events[$0]! })
        } catch {
            throw FuzzInvariantViolation(description: "the log's own order does not restore: \(error)")
        }
        let hash = log.state.hash
        try invariant(restored.order == log.order, "the restored log has another order")
        try invariant(restored.state.hash == hash, "the restored log's state hash differs from the incremental fold's")
        let scratch = plainFold(log.events)
        try invariant(scratch.order == log.order, "the fold from scratch orders the events otherwise than the log")
        try invariant(scratch.state.hash == hash, "the fold from scratch gives another state hash than the log")
        try invariant(scratch.void == log.void.mapValues(\.code), "the fold from scratch makes other events void than the log")

        // A replica holding the fixture lacks exactly the new event; one holding the log, nothing.
        let lacking = log.missing(after: Array(before.heads), limit: 2, byteLimit: 1 << 20)
        try invariant(lacking.complete && lacking.events.map(\.id) == [id], "a replica holding the fixture lacks other events")
        let none = log.missing(after: Array(log.heads), limit: 2, byteLimit: 1 << 20)
        try invariant(none.complete && none.events.isEmpty, "a replica holding the log still lacks events")
    }

    /// Section 15's fold without the log's shortcuts (no heap, no incremental extension): again
    /// and again the least event, by time and then id bytewise, whose parents are all folded,
    /// applied to the state or made void. Quadratic, for the fixture's few dozen events.
    static func plainFold(
        _ events: [ObjectID: SignedCommunityEvent]
    ) -> (order: [ObjectID], state: CommunityState, void: [ObjectID: CommunityError.Code]) {
        var waiting = Array(events.values)
        var folded: Set<ObjectID> = []
        var order: [ObjectID] = []
        var state = CommunityState()
        var void: [ObjectID: CommunityError.Code] = [:]
        func foldsBefore(_ a: SignedCommunityEvent, _ b: SignedCommunityEvent) -> Bool {
            a.event.time != b.event.time ? a.event.time < b.event.time : a.id.bytes.lexicographicallyPrecedes(b.id.bytes)
        }
        while true {
            var least: Int?
            for index in waiting.indices where waiting[index].event.parents.allSatisfy({ folded.contains($0) }) {
                if let current = least, !foldsBefore(waiting[index], waiting[current]) { continue }
                least = index
            }
            guard let next = least else { break }
            let event = waiting.remove(at: next)
            folded.insert(event.id)
            order.append(event.id)
            do {
                try state.apply(event)
            } catch {
                void[event.id] = error.code
            }
        }
        return (order, state, void)
    }
}

/// The log `community` inserts into: the accepted events of the first scenario of
/// protocol-spec/vectors/community.json ("admin-run approval community": bike-club, joining by
/// approval, every decision by an admin, 25 events in a chain), restored once; the log is a
/// value, so each input inserts into its own copy. The keys are the vectors' people's (their
/// `seed` fields), so that `community` re-signs a mutated payload with the key its envelope
/// names and an admin's events stay an admin's; any other signer gets a stranger's fixed key.
public struct CommunityFixture: Sendable {
    public static let shared = CommunityFixture()
    /// The replica's clock: the scenario's last step.
    public static let now: UInt64 = 1_772_412_901_000

    let keys: [Ed25519.PrivateKey]
    let stranger: Ed25519.PrivateKey
    /// The events' bytes, read once. The log itself is folded from them for each input rather
    /// than kept in a global: a global holding manifests (Swift packs enum tags into pointer
    /// bits) shows up in LeakSanitizer as a leak at exit.
    let events: [[UInt8]]

    /// The fixture log, folded afresh.
    public var log: CommunityLog { try! CommunityLog(restoring: events.map { try! SignedCommunityEvent.open(stored: $0) }) }

    init() {
        keys = [
            "f9cd459d9043e2f80d8219b1e02530a70e03e27b2212b42373129a85e3954b4f",  // alice, the admin
            "aca000bbc88a7389805767761faf82ec51db92977a3deab80e0edec0dc781f4f",  // bob, a member
            "2c29c48da49108c60be3d6ffd7393f2b056da8b6ef6fea25259537d2e958f1c5",  // carol, who left
            "450c554cdbde612b850fd5d2abefc88f1b417c1f3cc1fbff179155a6f8dbfdd4",  // dave, rejected
            "24f4ff2dbfc00a634a281e7b6d361e09d34ce0515ba546068044bd7e72598abf",  // erin, invited
            "9ca05c5d1ade47ae07e28d065d96d400759bca58ae60f8277057551d17a21d9d",  // frank, invited after withdrawing
            "b1154771b5c0694ff8f5e32e4c957a203373d37c6520ffcde643ad4d922bdeba",  // grace, a stranger to it
            "135529681681b901dbac498b4c27b49a7e3127c30b84b1d6b3fdcd08afbe4a90",  // commons-key, a community's key in an institution
            "85fde40d81afb35d2824bd596d7422d25828cccd71e83dcc5f69041092023cc0",  // harbour-key, another's
        ].map { try! Ed25519.PrivateKey(seed: HandshakeFixture.bytes($0)) }
        stranger = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x33, count: 32))
        events = Self.eventsHex.map { HandshakeFixture.bytes($0) }
    }

    /// The vectors' key whose public key is `signer`, or the stranger's.
    public func key(for signer: Ed25519.PublicKey) -> Ed25519.PrivateKey {
        keys.first { $0.publicKey.rawRepresentation == signer.rawRepresentation } ?? stranger
    }

    /// The envelopes of the scenario's accepted steps, in the order they were accepted.
    static let eventsHex = [
        // alice creates the community
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbdf262abafe2ffa43db0b10e58949569c24a74db59031177f4215d2cb94d29fbf9819907959a5cc2c684906e789e1220753727c2e8163e0\
        4c296dca881d3c070a00000276010100000000000000000000000000000000000000000000000000000000000000000000019cabd8380000\
        01646e9e2c9c2b95ad0eff14ee6fd01865943acdddce70e3aa980e49a0e7dcbd5ba685b1ea26fb9f2c00097fab7c390e101e07ec2c8da81d\
        28beba5abf227a7477000002066d616e69666573743a20310a6e616d653a2062696b652d636c75620a707572706f73653a20506f6f6c206f\
        757220726964657320746f206d6170207361666520726f75746573206163726f737320746f776e2e0a746167733a205b6379636c696e672c\
        207361666574795d0a676f7665726e616e63653a0a2020726f6c65733a205b61646d696e2c206d656d6265722c207472656173757265725d\
        0a20206465636973696f6e733a0a202020206d616e69666573743a207b62793a2061646d696e7d0a20202020726f6c65733a207b62793a20\
        61646d696e7d0a20202020617070733a207b62793a2061646d696e7d0a2020202061646d697373696f6e3a207b62793a2061646d696e7d0a\
        2020202073757370656e73696f6e3a207b62793a2061646d696e7d0a6a6f696e696e673a207b6d6f64653a20617070726f76616c7d0a636f\
        6e73656e743a0a20202d207b73747265616d3a2073746570732c20616e73776572733a205b636f756e742c206d65616e5d2c206d696e2d63\
        6f756e743a20337d0a6163636573733a0a20202d207b77686f3a206d656d626572732c2073747265616d733a205b73746570735d2c20616e\
        73776572733a205b636f756e745d7d0a6465706172747572653a207b6578706f72743a20747275652c2072657461696e3a203330647d0a61\
        7070733a205b726f7574652d6d61702c20726964652d6c6f675d0a
        """,
        // bob asks to join
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e7426f2d05254588bcb073372c2d08a443a39aa82014730002b99169ed1df9c30\
        2bc6d535f142b4fb851afd05a56d1b0481e2315cf219ffcaf96da09d07724e3c043cd72ec1a4aa5a71b3e4880a0f89c12012d9a4f3abe43a\
        acebb7fc87d1539f01000000af010229892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabd9226001\
        29892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d960a73b8ab44d76edcf1213a89734e3c79a31b1c4b88c609c\
        35c918e22909fb5cfdf1da25bbe04840871875c2aa2420cd167dab92f3bfc48095411fe649d142620826b74238c2d38178e41b7303f815bc\
        54a2c7ba4647265ec521da6f0bc5aa2200000000
        """,
        // alice approves bob
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbed82a239d63690070af06775552f5fdc3ba277159be1d90b5a798d8c8af2807bfc0a5bbbe517b6aa011b56b4ff4c0808dffdc346684e2c\
        7e3da9755e645506000000006b010329892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabdaf72001\
        d520535ebac79d112c54ce05d78654a92cc2ddd8992c7ac331637dfe1ec3277426f2d05254588bcb073372c2d08a443a39aa82014730002b\
        99169ed1df9c302b
        """,
        // carol asks to join
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74b91d30e5cfcaf6e9d292819423efc2b28b74a51878a16bb497d5d72e3d98d7\
        7e28492e4e126b75e903f73d33462dde5c526b734591f81a260683ee060ed7073c1081be504430319902e06f96030bf2ed129ac451da8ecf\
        528a75eaa099570009000000af010229892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabdbe18001\
        b150a9411d484d5719557f0b3f3243a2c5cd336ab187f11624b57b6317e512f960a73b8ab44d76edcf1213a89734e3c79a31b1c4b88c609c\
        35c918e22909fb5c4192a5464de37eb983154dd64c4b20f734e6a8f877b48bd400ff9a3c5906afd461bf6c6288d109e1a86f9b86ddad9e61\
        c0926404d71da7d177b30c9e90b06f1f00000000
        """,
        // alice approves carol
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbfeae16b7bce328c3307d4a98e73ede4b0649add4e4da49d3982e0da69034c85ef1aa87f11006104a46b92bfb19c82289bb64a164941413\
        6ff69b56acee3b83000000006b010329892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabdccbe001\
        72c3d45fee1bd9280e439e3ba9dbe689dabf0fe13ae31b57d5152eb8a3e401c5b91d30e5cfcaf6e9d292819423efc2b28b74a51878a16bb4\
        97d5d72e3d98d77e
        """,
        // dave asks to join
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74e16c7dfee72846d441053f03d2fdf36d4ce0279bebf0c91f0024c1cf449330\
        d4d45443cab9283356533ba4e09920e0f6ce4604ed8626a6a169e8ea7f828cab844980f3fa91322a78e8d5a8f939d0c5660c0efa934a7592\
        58d58a12fab38fb10b000000af010229892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabddb64001\
        5c4d56f2dda77262cb3fb97d2c7e187b8eb6e4b457d1f2c2651362db810f04ce60a73b8ab44d76edcf1213a89734e3c79a31b1c4b88c609c\
        35c918e22909fb5cb12382006406af53fb6e48116750d5165a4d7e4572fe204ccb72454714128846649fbaa75f92c4439d53e3c41b1287dd\
        fb45a1da43ac6d7773be99f6746bf50c00000000
        """,
        // alice rejects dave with a reason
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bb78d3711cbcb424cff15c1b64f1f5652542f0ce519a06e00ad30574aa3a1b7ed0414ab3e99423264e0d5a8373c4cb0a6c2de61226cbc24b\
        5ad11d63ce1ba3f7040000007d010429892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabdf8b0001\
        bf323e1610c6db7f13b0540d63b11247cb95fed7cdb502cf57db4a67f29d39b3e16c7dfee72846d441053f03d2fdf36d4ce0279bebf0c91f\
        0024c1cf449330d4116e6f74206120636c7562206d656d626572
        """,
        // alice invites erin
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bb49325ac04eaae1a29701f0b35fcc8b75c34fc1b2754860ba6e02ee32723d6d9e0365bbdad1deb13610a7f9b89b98526080ba6f33dce8f1\
        325971b3f2bc7ff9080000006b010829892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabe3348001\
        27855404a40035b55a73e0ad6d9e3109b8cfb7fc818a0af4a98cffb53a9c3f4827ba03c9f377ef2fd8fc85096a9efff0eef3b9423778fb0a\
        210a678feab64b95
        """,
        // alice grants bob admin
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbf2f505f086d6633364f068c1f82096c9217b443fad2abbbf93fdd6e67004c52890ba5ce30b913a195a132c54a6732ac06e2556dc273839\
        de399b3dc4907e830300000072010929892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabe5f3a001\
        814035571e4efa7406ea1d092b9967e8c24049d1307df32e6018daf67462b35f26f2d05254588bcb073372c2d08a443a39aa82014730002b\
        99169ed1df9c302b010561646d696e
        """,
        // alice grants carol treasurer
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bb401c8045cb5c87c72cadea72cd9c06873c166317641e87a7917f2b64207eb7e3768d3016d5a7cfb5a82aaa4d95d2cd2338b94acead92ec\
        3306dc1d0d01b6e80c00000076010929892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabe6de0001\
        2914f33b7f4ed13cddfc59739ac4e147b391ece793fbd231b1564e564f791ea3b91d30e5cfcaf6e9d292819423efc2b28b74a51878a16bb4\
        97d5d72e3d98d77e0109747265617375726572
        """,
        // bob revokes his own admin
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e7426f2d05254588bcb073372c2d08a443a39aa82014730002b99169ed1df9c30\
        2b446abf466657a202872e7c2a4048dd52338623adfdf6164b79bec995b4a944fd32a473c85284980cf826ebbdfcfe85420e4d8a32343bb4\
        ea19e2b4d7a53a050400000072010929892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabea878001\
        e034a1e4c37427f807ab81c254bf2a613f4ec4ce5fb56ee6d88abb2ebb99eabb26f2d05254588bcb073372c2d08a443a39aa82014730002b\
        99169ed1df9c302b000561646d696e
        """,
        // alice registers route-map
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bb65eeb2971f928dc42499daba8a62aec79f25e241e273177855adc00b376477dcdf827229566d47bf1ae46ffec744ec26a688cef7098bad\
        076118d0b83714990500000056010a29892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabec5c4001\
        2151a68fcd97a91965664ca987c1bf6d7ea460f4ec07e32a5b701638a660c5930109726f7574652d6d6170
        """,
        // alice registers ride-log
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bb8433058e58c208d50a7a869b7c8a3e353fce39b1d326429b38e222a245e363a7eb2dba5cc1dabca78a0087d6561c6defd0e15ce7af70c8\
        6ae379142c8b28490e00000055010a29892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabed46a001\
        55749687e83f3361e65179050c26273ab0bb44ebd6d691b30204068c48f692530108726964652d6c6f67
        """,
        // alice suspends carol
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbfc20a9761013e2f25065f4503d77aae10c4f0f339c720300e922a06a830fe74e9cd830b4d74f627660da13b488a1a281602adf80658481\
        8ef9fb52cd61f85d0d0000007e010629892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabf0f02001\
        94fa57ebb967dddfd476ac8143789cff9f218162dba2b1854218642eeec34ba3b91d30e5cfcaf6e9d292819423efc2b28b74a51878a16bb4\
        97d5d72e3d98d77e126d6973736564207468726565207269646573
        """,
        // alice reinstates carol
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbb86c342203d7b33b2a4f698dec7f7e8b6e0664fcfb027c140de4d18e6b581e3c296731e6250652c44c98d924e8708a6e612b2de404e33a\
        06a5c8db07d8c5a4000000006b010729892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabf3af4001\
        4a64d97fa3bfee043651c44b349b30be7277dfd320b4deef8f54eff0c1ceda04b91d30e5cfcaf6e9d292819423efc2b28b74a51878a16bb4\
        97d5d72e3d98d77e
        """,
        // alice changes the manifest and its consent (a new epoch)
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbc788ce36de51100980ea421a9c3a423ef8a02f0e45514bd68b1b1991f04aa91af87c07e00921906dad8f8da0f3163977b83ce248f39ea4\
        359cb4355bdbc5560c00000291010b29892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabf758c001\
        8e5e8a6acc5d43883103626ae60dda5f4b597df2c6fc04f97d147dba6f922a5f000002426d616e69666573743a20310a6e616d653a206269\
        6b652d636c75620a707572706f73653a20506f6f6c206f757220726964657320746f206d6170207361666520726f75746573206163726f73\
        7320746f776e2e0a746167733a205b6379636c696e672c207361666574795d0a676f7665726e616e63653a0a2020726f6c65733a205b6164\
        6d696e2c206d656d6265725d0a20206465636973696f6e733a0a202020206d616e69666573743a207b62793a2061646d696e7d0a20202020\
        726f6c65733a207b62793a2061646d696e7d0a20202020617070733a207b62793a2061646d696e7d0a2020202061646d697373696f6e3a20\
        7b62793a2061646d696e7d0a2020202073757370656e73696f6e3a207b62793a2061646d696e7d0a6a6f696e696e673a207b6d6f64653a20\
        617070726f76616c7d0a636f6e73656e743a0a20202d207b73747265616d3a2073746570732c20616e73776572733a205b636f756e742c20\
        6d65616e5d2c206d696e2d636f756e743a20337d0a20202d207b73747265616d3a2068656172745f726174652c20616e73776572733a205b\
        6d65616e5d2c206d696e2d636f756e743a20352c20657073696c6f6e3a20302e352c206275646765743a20357d0a6163636573733a0a2020\
        2d207b77686f3a206d656d626572732c2073747265616d733a205b73746570735d2c20616e73776572733a205b636f756e745d7d0a646570\
        6172747572653a207b6578706f72743a20747275652c2072657461696e3a203330647d0a617070733a205b726f7574652d6d61705d0a
        """,
        // bob consents to the new epoch
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e7426f2d05254588bcb073372c2d08a443a39aa82014730002b99169ed1df9c30\
        2be83facffaa50d59d39eb5f5e6237180f64523400dc7edbae317690055140f6e2c2019aae773a0de20d5a127a5d1bc649856e98fb4ff172\
        ba21ad5ce89e0250020000006b010f29892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabf92d8001\
        33a7bd8027934d52dd902b7682490b0a89d20366dd7c179339dce136107cde99630d5c89ec0afaf447b5e3a43713c25381faa1222c7474f2\
        4e11c630b6cdc22d
        """,
        // alice changes the purpose only (the epoch stays)
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bbc9dcbf4dfda7db8e096d7c301c4022d999df5b80b3f08d6a6a137d9e86f7477e9ad0985963155ba0ff4d12d1013fec89b52095f623c3c4\
        9823244e462edf6000000002ba010b29892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabfb024001\
        87f15750f5e4ac24213c50c9e593677cf63b549c38b9aba5b45c35dc342c74410000026b6d616e69666573743a20310a6e616d653a206269\
        6b652d636c75620a707572706f73653a20506f6f6c206f757220726964657320746f206d6170207361666520726f75746573206163726f73\
        7320746f776e2c20616e64206f757220686561727420726174657320746f20706163652067726f75702072696465732e0a746167733a205b\
        6379636c696e672c207361666574795d0a676f7665726e616e63653a0a2020726f6c65733a205b61646d696e2c206d656d6265725d0a2020\
        6465636973696f6e733a0a202020206d616e69666573743a207b62793a2061646d696e7d0a20202020726f6c65733a207b62793a2061646d\
        696e7d0a20202020617070733a207b62793a2061646d696e7d0a2020202061646d697373696f6e3a207b62793a2061646d696e7d0a202020\
        2073757370656e73696f6e3a207b62793a2061646d696e7d0a6a6f696e696e673a207b6d6f64653a20617070726f76616c7d0a636f6e7365\
        6e743a0a20202d207b73747265616d3a2073746570732c20616e73776572733a205b636f756e742c206d65616e5d2c206d696e2d636f756e\
        743a20337d0a20202d207b73747265616d3a2068656172745f726174652c20616e73776572733a205b6d65616e5d2c206d696e2d636f756e\
        743a20352c20657073696c6f6e3a20302e352c206275646765743a20357d0a6163636573733a0a20202d207b77686f3a206d656d62657273\
        2c2073747265616d733a205b73746570735d2c20616e73776572733a205b636f756e745d7d0a6465706172747572653a207b6578706f7274\
        3a20747275652c2072657461696e3a203330647d0a617070733a205b726f7574652d6d61705d0a
        """,
        // bob leaves
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e7426f2d05254588bcb073372c2d08a443a39aa82014730002b99169ed1df9c30\
        2b9255397507c74a87b33bb88b9243a7becae7efb95208cf1c8310b0fee579a79b599f11ed9c23c941196d44d888639d2330965373f89553\
        1c50fdcd97e976040e0000004b010529892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cabfdc16001\
        f6fa046439a873dfb9d211d343441236fdf1535aef11208474d031412f748b1f
        """,
        // bob asks to join again
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e7426f2d05254588bcb073372c2d08a443a39aa82014730002b99169ed1df9c30\
        2bbec5b6d54fb981218a796a8bb3226d587a0adc4aafbe5d471bfd039e8aa0d0d6fb35dfc756a132acfe5f53f320ff5573da8dc16d6f854d\
        94314cc209987cc007000000af010229892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cac00808001\
        469e7e0b9ddc694a038999d98718d04e4a4473923389e8184b50131ec16246a47ed9a5f4b6660fbb1a25fb493c75b2b0b1ccae7bbaf82d0e\
        b7f7fcbfffacb410fdf1da25bbe04840871875c2aa2420cd167dab92f3bfc48095411fe649d142620826b74238c2d38178e41b7303f815bc\
        54a2c7ba4647265ec521da6f0bc5aa2200000000
        """,
        // alice approves bob again (his record is replaced)
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bb9a3afefd6e86e9bdc1992ba258027013a2ff9075051c8e952e1642ac59edd82c19ec56ab7b345e77a5cb0445846225a85117b05da47643\
        0266f552e20b23ed090000006b010329892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cac016ae001\
        1b4835800884bf968b2d620fd9652925796e6281684c70be5d8e39c4bf8cb63126f2d05254588bcb073372c2d08a443a39aa82014730002b\
        99169ed1df9c302b
        """,
        // frank asks to join
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74d22fcaad701b70207a8abf15714da2a00063d6a0fe953b7447afcd69076553\
        31e0e43079abacf2cb257731a32456a2e7e2970ff47e6ae8770340bf19e8a419af5b426c61270a35caa6efd18fdb5666d3d37c79c46d4ba9\
        4010e52a68ae0fb00d000000af010229892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cac02554001\
        d8863281ca2778b3a9a7b4729e2f96ed811095292d7d2f9e3e199b0bfd1104047ed9a5f4b6660fbb1a25fb493c75b2b0b1ccae7bbaf82d0e\
        b7f7fcbfffacb410a46ddc763159e4d2945700e932736d8514f887879b6fc024ee5bf6e482d04165413cf5c91be743d3fcb5f0e1b55b95cc\
        0305796cebf2cab74eb22b8afbc83fe000000000
        """,
        // frank withdraws his application
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74d22fcaad701b70207a8abf15714da2a00063d6a0fe953b7447afcd69076553\
        315c2941885f4939e4adf750796d49d431af8b7ad43c98400da6bf10d9433c5c4e76b75140646c4e1c4ea581a1d7b74ea45c0fcf58963248\
        85f8b8ec1259174d060000004b010529892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cac033fa001\
        1453513b029503286c918ec3e70017503a29d439c68539b16e54ae3350a78b5c
        """,
        // alice invites frank exactly 300000 ms ahead of the replica's clock
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74ceea7dc3db6638ad8ded9033f096c16de69a54af881f162ecefc1edc3d4c28\
        bb23b646f97391fc0df5da51846a390f2c4d4da31afc62e21d5f282359fa31a21074cbd7eb331a525964aed567944869f0a131048b4019de\
        e62fe5e0cc8515d8000000006b010829892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cac08bfd401\
        fdc1e0fbf41b050395fa8bab1f4b1d843061c4478afa8232bd6abd8a578dbc72d22fcaad701b70207a8abf15714da2a00063d6a0fe953b74\
        47afcd6907655331
        """,
        // carol leaves
        """
        4f4d534501136f6d732f636f6d6d756e6974792d6576656e74b91d30e5cfcaf6e9d292819423efc2b28b74a51878a16bb497d5d72e3d98d7\
        7eb1f4ffa1d3e935fab740b0b9b3ebfff068d2d2e8841ea96d1576f3580587ed026904684a8641a899456f3d14b96d2465c6f7e6625774b6\
        d6928c253c4e87f7080000004b010529892af5befc887ec4a0e617976220d80d1c6ebb930a9b610e9260a4030d96d90000019cac0a949401\
        ed5b065de8d048437057153b922d52331c8d1699c9dd7f344d3510c88c203e1f
        """,
    ]
}
