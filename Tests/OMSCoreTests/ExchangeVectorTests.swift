import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import Testing

/// The exchange vectors of protocol-spec/README.md section 13 (`queries.json`), written by the
/// independent Python implementation: Swift builds and signs the same fields into the same
/// bytes, accepts and checks what it does, and refuses everything else with the same error.
@Suite struct ExchangeVectorTests {
    // MARK: - The file

    struct File: Decodable {
        let limits: Limits
        let queries: [ValidQuery]
        let answers: [ValidAnswer]
        let refusals: [ValidRefusal]
        let invalidQueries: [InvalidQuery]
        let badPresentations: [BadPresentation]
        let badResponses: [BadResponse]
        let frames: [Frame]
    }

    struct Limits: Decodable {
        let queryMaximumPayload: Int
        let presentationMaximumLength: Int
        let answerMaximumPayload: Int
        let refusalMaximumPayload: Int
        let maximumLifetimeMs: UInt64
        let skewMs: UInt64
    }

    struct Window: Decodable {
        let from: UInt64
        let to: UInt64
    }

    struct RegionBits: Decodable {
        let latitude: String
        let longitude: String
        let radius: String
    }

    struct ValidQuery: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let signerSeed: String
        let requester: String
        let target: String
        let queryId: String
        let module: String
        let stream: String
        let window: Window?
        let numbers: [String]
        let region: RegionBits?
        let purpose: String
        let issued: UInt64
        let expires: UInt64
        let presentations: [String]
        let payload: String
        let envelope: String
        let id: String
        let verifyAt: UInt64
        var testDescription: String { name }
    }

    struct Value: Decodable {
        let tag: Int
        let numbers: [String]
        let yes: Bool?
        let records: String?
    }

    struct ValidAnswer: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let signerSeed: String
        let query: String
        let node: String
        let target: String
        let answered: UInt64
        let value: Value
        let epsilon: String
        let rules: [String]
        let payload: String
        let envelope: String
        var testDescription: String { name }
    }

    struct ValidRefusal: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let signerSeed: String
        let signedBy: String
        let query: String
        let node: String
        let refusedAt: UInt64
        let code: String
        let rules: [String]
        let reason: String
        let payload: String
        let envelope: String
        var testDescription: String { name }
    }

    struct InvalidQuery: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let envelope: String
        let verifyAt: UInt64
        let hosted: [String]
        let error: String
        var testDescription: String { name }
    }

    struct BadPresentation: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let envelope: String
        let verifyAt: UInt64
        let error: String
        var testDescription: String { name }
    }

    struct BadResponse: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let query: String
        let node: String
        let envelope: String
        let error: String
        var testDescription: String { name }
    }

    struct Frame: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let requestId: String
        let body: String
        let envelope: String
        let bytes: String
        var testDescription: String { name }
    }

    static let file: File = try! IdentityVectorTests.load("queries.json")

    /// The query envelope a case names, as the asker sent it.
    static func sentQuery(_ name: String) throws -> SignedQuery {
        let query = try #require(file.queries.first { $0.name == name }, "no valid query named '\(name)'")
        return try SignedQuery.open([UInt8](hex: query.envelope))
    }

    /// A binary64 from the 16 hex digits of its big-endian bits, as the file gives every number.
    static func double(_ hex: String) -> Double {
        Double(bitPattern: [UInt8](hex: hex).reduce(0) { $0 << 8 | UInt64($1) })
    }

    static func hex(_ value: Double) -> String {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(value.isNaN ? 0x7FF8_0000_0000_0000 : value.bitPattern)
        return bytes.hex
    }

    /// The code `body` fails with, or nil when it succeeds.
    static func failure(_ body: () throws(ExchangeError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.code.name
        }
    }

    static func hosting(_ ids: [String]) throws -> Set<TCCID> { Set(try ids.map { try TCCID(parsing: $0) }) }

    // MARK: - The file holds what the spec promises

    @Test func theLimitsAreTheSpecsAndTheFileHoldsEveryError() {
        let limits = Self.file.limits
        #expect(limits.queryMaximumPayload == 46555 && Query.maximumPayload == 46555)
        #expect(limits.presentationMaximumLength == Query.maximumPresentationLength)
        #expect(limits.answerMaximumPayload == 66732 && Answer.maximumPayload == 66732)
        #expect(limits.refusalMaximumPayload == 1629 && Refusal.maximumPayload == 1629)
        #expect(limits.maximumLifetimeMs == Query.maximumLifetime)
        #expect(limits.skewMs == QueryVerifier.skew)
        #expect(Self.file.queries.count >= 10)
        #expect(Set(Self.file.answers.map(\.value.tag)) == [1, 2, 3, 4, 5, 6])
        #expect(Set(Self.file.refusals.map(\.signedBy)) == ["tcc", "node"])
        #expect(
            Set(Self.file.invalidQueries.map(\.error)) == [
                "malformed", "wrongType", "badSignature", "signerMismatch", "unknownTarget", "notYetValid", "expired",
            ])
        #expect(Set(Self.file.badPresentations.map(\.error)) == ["badPresentation"])
        #expect(
            Set(Self.file.badResponses.map(\.error)) == [
                "malformed", "wrongType", "badSignature", "signerMismatch", "wrongQuery",
            ])
        #expect(Set(Self.file.frames.map(\.body)) == ["query", "answer"])
    }

    // MARK: - Queries

    @Test(arguments: file.queries)
    func aValidQueryIsAcceptedAndItsPresentationsVerify(_ v: ValidQuery) throws {
        let bytes = [UInt8](hex: v.envelope)
        var verifier = QueryVerifier()
        let signed = try verifier.accept(bytes, at: v.verifyAt, hosting: { $0.description == v.target })
        let query = signed.query
        #expect(query.requester.description == v.requester)
        #expect(query.target.description == v.target)
        #expect(query.queryID.hex == v.queryId)
        #expect(query.module.rawValue == v.module)
        #expect(query.stream == v.stream)
        #expect(query.window?.from == v.window?.from && query.window?.to == v.window?.to)
        #expect(query.numbers.map(Self.hex) == v.numbers)
        #expect(query.region.map { [Self.hex($0.latitude), Self.hex($0.longitude), Self.hex($0.radius)] }
            == v.region.map { [$0.latitude, $0.longitude, $0.radius] })
        #expect(Array((query.purpose ?? "").utf8) == Array(v.purpose.utf8))
        #expect(query.issued == v.issued)
        #expect(query.expires == v.expires)
        #expect(query.presentations.map(\.hex) == v.presentations)
        #expect(signed.envelope.bytes == bytes)
        #expect(signed.envelope.payload.hex == v.payload)
        #expect(signed.id.description == v.id)
        #expect(verifier.rememberedCount == 1)

        let presentations = try signed.verifyPresentations(with: ClaimVerifier(), at: v.verifyAt)
        #expect(presentations.count == v.presentations.count)
        #expect(presentations.allSatisfy { $0.nonce == query.queryID && $0.audience.rawValue == v.target })
    }

    @Test(arguments: file.queries)
    func signingTheSameQueryFieldsGivesTheSameBytes(_ v: ValidQuery) throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.signerSeed))
        let requester = try #require(Query.Requester(try PartyID(parsing: v.requester)))
        let query = try Query(
            requester: requester, target: try TCCID(parsing: v.target), queryID: [UInt8](hex: v.queryId),
            module: try ModuleName(v.module), stream: v.stream,
            window: try v.window.map { w throws(ExchangeError) in try Query.Window(from: w.from, to: w.to) },
            numbers: v.numbers.map(Self.double),
            region: try v.region.map {
                try Region(latitude: Self.double($0.latitude), longitude: Self.double($0.longitude), radius: Self.double($0.radius))
            },
            purpose: v.purpose, issued: v.issued, expires: v.expires, presentations: v.presentations.map { [UInt8](hex: $0) })
        #expect(query.encodePayload().hex == v.payload)
        let signed = try query.signed(with: key)
        #expect(signed.envelope.bytes.hex == v.envelope)
        #expect(signed.id.description == v.id)
        #expect(signed.query == query)
        #expect(try SignedQuery.open(signed.envelope.bytes) == signed)
    }

    @Test(arguments: file.invalidQueries)
    func anInvalidQueryFailsWithItsCodeAndConsumesNoID(_ v: InvalidQuery) throws {
        let hosted = try Self.hosting(v.hosted)
        var verifier = QueryVerifier()
        let error = Self.failure { () throws(ExchangeError) in
            _ = try verifier.accept([UInt8](hex: v.envelope), at: v.verifyAt, hosting: { hosted.contains($0) })
        }
        #expect(error == v.error)
        #expect(verifier.rememberedCount == 0)
    }

    @Test(arguments: file.badPresentations)
    func aQueryWithABadPresentationIsAcceptedButItsPresentationsAreRefused(_ v: BadPresentation) throws {
        var verifier = QueryVerifier()
        let signed = try verifier.accept([UInt8](hex: v.envelope), at: v.verifyAt, hosting: { _ in true })
        let error = Self.failure { () throws(ExchangeError) in
            _ = try signed.verifyPresentations(with: ClaimVerifier(), at: v.verifyAt)
        }
        #expect(error == v.error)
    }

    // MARK: - Answers and refusals

    @Test(arguments: file.answers)
    func aValidAnswerIsAcceptedAndAnsweringAgainGivesTheSameBytes(_ v: ValidAnswer) throws {
        let sent = try Self.sentQuery(v.query)
        let bytes = [UInt8](hex: v.envelope)
        let check = AnswerCheck(query: sent, sentTo: try NodeID(parsing: v.node))
        guard case .answer(let signed) = try check.check(bytes) else {
            Issue.record("a valid answer was taken for a refusal")
            return
        }
        let answer = signed.answer
        #expect(answer.query == sent.id)
        #expect(answer.target.description == v.target)
        #expect(answer.answered == v.answered)
        #expect(Self.hex(answer.epsilon) == v.epsilon)
        #expect(answer.rules.map(\.rawValue) == v.rules)
        #expect(signed.envelope.payload.hex == v.payload)

        let value = try Self.value(v.value)
        switch (answer.value, value) {
        case (.number(let a), .number(let b)): #expect(Self.hex(a) == Self.hex(b))
        case (.counts(let a), .counts(let b)), (.numbers(let a), .numbers(let b)): #expect(a.map(Self.hex) == b.map(Self.hex))
        default: #expect(answer.value == value)
        }

        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.signerSeed))
        let again = try Answer(
            query: sent.id, target: try TCCID(parsing: v.target), answered: v.answered, value: value,
            epsilon: Self.double(v.epsilon), rules: try v.rules.map { try RuleID($0) })
        #expect(again.encodePayload().hex == v.payload)
        #expect(again == answer)
        #expect(try again.signed(with: key).envelope.bytes == bytes)
    }

    static func value(_ v: Value) throws -> AnswerValue {
        let numbers = v.numbers.map(double)
        switch v.tag {
        case 1: return .number(try #require(numbers.first))
        case 2: return .counts(numbers)
        case 3: return .numbers(numbers)
        case 4: return .yesNo(try #require(v.yes))
        case 5:
            try #require(numbers.count == 3)
            return .area(latitude: numbers[0], longitude: numbers[1], precision: numbers[2])
        case 6:
            let hex = try #require(v.records)
            return .records(try #require([UInt8](hexString: hex)))
        default: throw ExchangeError(.malformed, "no value tag \(v.tag)")
        }
    }

    @Test(arguments: file.refusals)
    func aValidRefusalIsAcceptedAndRefusingAgainGivesTheSameBytes(_ v: ValidRefusal) throws {
        let sent = try Self.sentQuery(v.query)
        let node = try NodeID(parsing: v.node)
        let bytes = [UInt8](hex: v.envelope)
        guard case .refusal(let signed) = try AnswerCheck(query: sent, sentTo: node).check(bytes) else {
            Issue.record("a valid refusal was taken for an answer")
            return
        }
        let refusal = signed.refusal
        #expect(refusal.query == sent.id)
        #expect(refusal.refusedAt == v.refusedAt)
        #expect(refusal.code.rawValue == v.code)
        #expect(refusal.rules.map(\.rawValue) == v.rules)
        #expect(Array(refusal.reason.utf8) == Array(v.reason.utf8))
        #expect(signed.envelope.payload.hex == v.payload)
        let signer = signed.envelope.signer.rawRepresentation
        #expect(signer == (v.signedBy == "node" ? node.bytes : sent.query.target.bytes))

        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.signerSeed))
        let again = try Refusal(
            query: sent.id, refusedAt: v.refusedAt, code: try RefusalCode(v.code), rules: try v.rules.map { try RuleID($0) },
            reason: v.reason)
        #expect(again == refusal)
        #expect(again.signed(with: key).envelope.bytes == bytes)
    }

    @Test(arguments: file.badResponses)
    func anInvalidAnswerOrRefusalFailsWithItsCode(_ v: BadResponse) throws {
        let check = AnswerCheck(query: try Self.sentQuery(v.query), sentTo: try NodeID(parsing: v.node))
        let error = Self.failure { () throws(ExchangeError) in _ = try check.check([UInt8](hex: v.envelope)) }
        #expect(error == v.error)
    }

    // MARK: - Frames

    @Test(arguments: file.frames)
    func queryFramesEncodeAndDecodeAsThePythonEncoderWritesThem(_ v: Frame) throws {
        let decoded = try WireFrame(serializedBytes: [UInt8](hex: v.bytes))
        #expect(String(decoded.requestID) == v.requestId)
        var frame = WireFrame()
        frame.requestID = try #require(UInt64(v.requestId))
        switch decoded.body {
        case .query(let request):
            #expect(v.body == "query")
            #expect(Array(request.envelope).hex == v.envelope)
            frame.query = .with { $0.envelope = Data([UInt8](hex: v.envelope)) }
        case .answer(let response):
            #expect(v.body == "answer")
            #expect(Array(response.envelope).hex == v.envelope)
            frame.answer = .with { $0.envelope = Data([UInt8](hex: v.envelope)) }
        default:
            Issue.record("the frame decoded with body \(String(describing: decoded.body))")
        }
        let encoded: [UInt8] = try frame.serializedBytes()
        #expect(encoded.hex == v.bytes)
    }
}
