import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// The answering node's state, which the vectors cannot carry (protocol-spec/README.md section
/// 13, "Accepting a query"): a query id is accepted once and remembered until its query's expiry
/// plus the skew; the memory is bounded and refuses as busy rather than forget; a refused query
/// consumes nothing; the clock boundaries are exact.
@Suite struct QueryVerifierTests {
    static let persona = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x51, count: 32))
    static let intruder = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x52, count: 32))
    static let target = tcc(0x53)
    static let elsewhere = tcc(0x54)
    static let t0: UInt64 = 1_770_681_600_000
    static let skew = QueryVerifier.skew

    /// A TCC whose root key has the seed `byte` repeated.
    static func tcc(_ byte: UInt8) -> TCCID {
        TCCID(uncheckedBytes: try! Ed25519.PrivateKey(seed: [UInt8](repeating: byte, count: 32)).publicKey.rawRepresentation)
    }

    static func id(_ n: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xA5, count: 28)
        bytes.appendBigEndian(n)
        return bytes
    }

    /// A count query with id `n`, signed by `key` (the persona's unless said), for `target`.
    static func query(
        _ n: UInt32, issued: UInt64 = t0, lifetime: UInt64 = 60_000, target: TCCID = target,
        requester: Ed25519.PrivateKey = persona, signer: Ed25519.PrivateKey? = nil
    ) throws -> [UInt8] {
        let query = try Query(
            requester: .persona(PersonaID(uncheckedBytes: requester.publicKey.rawRepresentation)), target: target,
            queryID: id(n), module: ModuleName("count"), stream: "steps", issued: issued, expires: issued + lifetime)
        return Envelope.sign(type: Query.type, payload: query.encodePayload(), with: signer ?? requester).bytes
    }

    /// The code `accept` fails with, or nil when it accepts, for a node hosting `target` only.
    static func failure(_ verifier: inout QueryVerifier, _ bytes: [UInt8], at now: UInt64) -> String? {
        do {
            _ = try verifier.accept(bytes, at: now, hosting: { $0 == target })
            return nil
        } catch {
            return error.code.name
        }
    }

    @Test func aQueryIsAcceptedOnceAndItsReplayIsRefused() throws {
        var verifier = QueryVerifier()
        let bytes = try Self.query(1)
        let accepted = try verifier.accept(bytes, at: Self.t0, hosting: { $0 == Self.target })
        #expect(accepted.query.queryID == Self.id(1))
        #expect(verifier.rememberedCount == 1)
        #expect(Self.failure(&verifier, bytes, at: Self.t0 + 1) == "replayed")
        #expect(Self.failure(&verifier, bytes, at: Self.t0 + 59_999) == "replayed", "until the last moment it lives")
        #expect(verifier.rememberedCount == 1, "a refused replay adds nothing")
    }

    @Test func anotherQueryWithTheSameIDIsAReplayToo() throws {
        var verifier = QueryVerifier()
        _ = try verifier.accept(try Self.query(1), at: Self.t0, hosting: { $0 == Self.target })
        // Other bytes (another lifetime), the same query id: the id is what is remembered.
        #expect(Self.failure(&verifier, try Self.query(1, lifetime: 1000), at: Self.t0) == "replayed")
        #expect(Self.failure(&verifier, try Self.query(2), at: Self.t0) == nil)
    }

    @Test func anIDIsRememberedUntilExpiryPlusSkewAndThenForgotten() throws {
        var verifier = QueryVerifier()
        _ = try verifier.accept(try Self.query(1, lifetime: 60_000), at: Self.t0, hosting: { $0 == Self.target })
        let forgetAt = Self.t0 + 60_000 + Self.skew
        verifier.expire(now: forgetAt - 1)
        #expect(verifier.rememberedCount == 1)
        verifier.expire(now: forgetAt)
        #expect(verifier.rememberedCount == 0)
        // Forgotten, the query is still refused: it has expired.
        #expect(Self.failure(&verifier, try Self.query(1), at: forgetAt) == "expired")
        #expect(verifier.rememberedCount == 0)
    }

    @Test func aClockSteppedBackWithinTheSkewStillSeesTheReplay() throws {
        var verifier = QueryVerifier()
        let bytes = try Self.query(1, lifetime: 60_000)
        _ = try verifier.accept(bytes, at: Self.t0 + 59_000, hosting: { $0 == Self.target })
        // The node's clock passes the expiry plus less than the skew, then is set back.
        verifier.expire(now: Self.t0 + 60_000 + Self.skew - 1)
        #expect(Self.failure(&verifier, bytes, at: Self.t0 + 1_000) == "replayed")
    }

    @Test func aFullMemoryRefusesAsBusyRatherThanForget() throws {
        var verifier = QueryVerifier(capacity: 3)
        #expect(verifier.capacity == 3)
        for n in 1...3 {
            _ = try verifier.accept(try Self.query(UInt32(n), lifetime: 10_000 * UInt64(n)), at: Self.t0, hosting: { $0 == Self.target })
        }
        #expect(Self.failure(&verifier, try Self.query(4), at: Self.t0 + 1) == "busy")
        #expect(verifier.rememberedCount == 3, "busy forgets nothing and remembers nothing")
        #expect(Self.failure(&verifier, try Self.query(2), at: Self.t0 + 1) == "replayed", "a replay is a replay, full or not")
        // Query 1 is forgotten at t0 + 10 000 + skew: room for exactly one more.
        let later = Self.t0 + 10_000 + Self.skew
        #expect(Self.failure(&verifier, try Self.query(4, issued: later), at: later) == nil)
        #expect(Self.failure(&verifier, try Self.query(5, issued: later), at: later) == "busy")
        #expect(Self.failure(&verifier, try Self.query(2, issued: later), at: later) == "replayed", "query 2's id is still held")
    }

    @Test func aRefusedQueryConsumesNoID() throws {
        var verifier = QueryVerifier()
        // Copies of query 1 that fail each check before the replay check, each with its id.
        let forged = try Self.query(1, signer: Self.intruder)
        #expect(Self.failure(&verifier, forged, at: Self.t0) == "signerMismatch")
        #expect(Self.failure(&verifier, try Self.query(1, target: Self.elsewhere), at: Self.t0) == "unknownTarget")
        #expect(Self.failure(&verifier, try Self.query(1, issued: Self.t0 + Self.skew + 1), at: Self.t0) == "notYetValid")
        #expect(Self.failure(&verifier, try Self.query(1, issued: Self.t0 - 60_000), at: Self.t0) == "expired")
        var mangled = try Self.query(1)
        mangled[mangled.count - 1] ^= 1
        #expect(Self.failure(&verifier, mangled, at: Self.t0) == "badSignature")
        #expect(Self.failure(&verifier, Array(mangled.dropLast()), at: Self.t0) == "malformed")
        #expect(verifier.rememberedCount == 0)
        #expect(Self.failure(&verifier, try Self.query(1), at: Self.t0) == nil, "the genuine query is still accepted")
    }

    @Test(arguments: [
        // (issued relative to now, lifetime, expected): the skew and expiry boundaries, exactly.
        (Int64(300_000), UInt64(1_000), String?.none),
        (Int64(300_001), UInt64(1_000), "notYetValid"),
        (Int64(-59_999), UInt64(60_000), nil),
        (Int64(-60_000), UInt64(60_000), "expired"),
        (Int64(-60_001), UInt64(60_000), "expired"),
        (Int64(0), UInt64(1), nil),
        (Int64(-1), UInt64(1), "expired"),
        (Int64(-300_000), UInt64(300_000), "expired"),
        (Int64(-299_999), UInt64(300_000), nil),
    ])
    func theClockBoundariesAreExact(_ issuedOffset: Int64, _ lifetime: UInt64, _ expected: String?) throws {
        var verifier = QueryVerifier()
        let issued = UInt64(Int64(Self.t0) + issuedOffset)
        #expect(Self.failure(&verifier, try Self.query(1, issued: issued, lifetime: lifetime), at: Self.t0) == expected)
    }

    @Test func aTargetThisNodeDoesNotHostIsUnknown() throws {
        var verifier = QueryVerifier()
        let bytes = try Self.query(1)
        #expect(Self.failure(&verifier, try Self.query(1, target: Self.elsewhere), at: Self.t0) == "unknownTarget")
        let error = #expect(throws: ExchangeError.self) {
            _ = try verifier.accept(bytes, at: Self.t0, hosting: { _ in false })
        }
        #expect(error?.code == .unknownTarget)
        #expect(error?.code.refusalSigner == .node, "the node cannot sign for a TCC it does not host")
        #expect(try verifier.accept(bytes, at: Self.t0, hosting: { $0 == Self.target || $0 == Self.elsewhere }).query.target == Self.target)
    }

    @Test func theNodeSignsRefusalsUntilTheQueryNamesAHostedTarget() {
        let byNode: [ExchangeError.Code] = [.malformed, .wrongType, .badSignature, .signerMismatch, .unknownTarget]
        let byTarget: [ExchangeError.Code] = [.notYetValid, .expired, .replayed, .busy, .badPresentation, .unknownModule, .invalidParameter]
        #expect(byNode.allSatisfy { $0.refusalSigner == .node })
        #expect(byTarget.allSatisfy { $0.refusalSigner == .target })
        #expect((byNode + byTarget).allSatisfy { RefusalCode($0).rawValue == $0.name })
    }

    /// The memory's expiry against a plain count, over queries of every lifetime in random
    /// order: each id is held exactly until its own expiry plus the skew, whatever came before.
    @Test func forgettingFollowsEachIDsOwnExpiry() throws {
        var generator = SplitMix64(seed: 7)
        var verifier = QueryVerifier(capacity: 1_000)
        var expiries: [UInt64] = []
        for n in 0..<200 {
            let lifetime = 1 + generator.next() % Query.maximumLifetime
            let now = Self.t0 + UInt64(n)
            _ = try verifier.accept(try Self.query(UInt32(n), issued: now, lifetime: lifetime), at: now, hosting: { $0 == Self.target })
            expiries.append(now + lifetime)
        }
        var now = Self.t0 + 200
        while now < Self.t0 + 2 * Query.maximumLifetime + Self.skew {
            now += generator.next() % 20_000
            verifier.expire(now: now)
            #expect(verifier.rememberedCount == expiries.filter { $0 + Self.skew > now }.count, "at \(now - Self.t0)")
        }
        #expect(verifier.rememberedCount == 0)
    }
}

/// A small deterministic generator, so the randomised test above fails the same way every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
