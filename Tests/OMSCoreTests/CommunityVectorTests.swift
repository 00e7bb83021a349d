import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import Testing

/// The community-log vectors of protocol-spec/README.md section 15 (`community.json`), written by
/// the independent Python implementation: Swift opens every valid event into the same id and
/// re-signs it into the same bytes, refuses every invalid one with the same code, and replays
/// each scenario's log step by step to the same outcomes, heads, order, void events and state, and
/// builds each sync frame, and a community question with its answer, into the same protobuf bytes.
@Suite struct CommunityVectorTests {
    struct File: Decodable {
        let limits: Limits
        let events: [ValidEvent]
        let invalidEvents: [InvalidEvent]
        let logs: [Log]
        let frames: [FrameVector]
        let reports: [ReportVector]
        /// Envelopes that MUST fail to open as a community report, with the code (same shape
        /// as an invalid event).
        let invalidReports: [InvalidEvent]
    }

    /// A community's report to an institution (section 15, "Institutions"): the fields MUST sign
    /// into exactly `payload` and `envelope` with the signer's seed, and opening gives them back.
    struct ReportVector: Decodable {
        struct Fields: Decodable {
            let query: String
            let communityHex: String
            let reported: UInt64
            let asked: UInt32
            let answered: UInt32
            let value: Value?
            let reason: String
        }

        /// Section 13's value: tag 1 (number) or 2 (counts), each double as 16 hex digits of its bits.
        struct Value: Decodable {
            let tag: Int
            let numbers: [String]
        }

        let name: String
        let signer: String
        let signerSeed: String
        let fields: Fields
        let payload: String
        let envelope: String
        let id: String
    }

    struct Limits: Decodable {
        let maximumPayload: Int
        let maximumParents: Int
        let futureSkewMs: UInt64
        let maximumManifest: Int
        let maximumReason: Int
        let maximumEvidence: Int
        let maximumReportPayload: Int
    }

    struct ValidEvent: Decodable {
        let name: String
        let authorSeed: String
        let payload: String
        let envelope: String
        let id: String
    }

    struct InvalidEvent: Decodable {
        let name: String
        let envelope: String
        let error: String
    }

    struct Step: Decodable {
        let name: String
        let event: String
        let now: UInt64
        let outcome: String
        let stateHash: String
        let heads: [String]
    }

    struct VoidEvent: Decodable, Equatable {
        let id: String
        let code: String
    }

    struct Permutation: Decodable {
        let name: String
        let delivery: [String]
        let now: UInt64
        let stateHash: String
        let void: [VoidEvent]
    }

    struct Log: Decodable {
        let name: String
        let communityHex: String
        let steps: [Step]
        let order: [String]
        let void: [VoidEvent]
        let stateHash: String
        let stateBytes: String
        let permutations: [Permutation]?
    }

    /// A `Frame` of section 15's "Sync over the wire" or "Community questions" (a
    /// `CommunityQuestion` and the `QueryResponse` answering it), or an `Error`: `body` names the
    /// set case of `Frame.body`, and the fields of that body follow (bytes in hex).
    struct FrameVector: Decodable {
        let name: String
        let requestId: String
        let body: String
        let community: String?
        let createEvent: String?
        let manifest: String?
        let heads: [String]?
        let events: [String]?
        let complete: Bool?
        let accepted: UInt32?
        let refused: [Refusal]?
        /// A `CommunityQuestion`'s `oms/query` envelope.
        let query: String?
        /// A `QueryResponse`'s `oms/answer` or `oms/refusal` envelope.
        let envelope: String?
        /// A kept-answers request's member, and the answers kept.
        let member: String?
        let answers: [String]?
        let code: Int?
        let message: String?
        /// A relayed question's institution and the terms it carries (doubles as bits in hex).
        let institution: String?
        let minCount: UInt32?
        let epsilon: String?
        let budget: String?
        let bytes: String
    }

    struct Refusal: Decodable {
        let id: String
        let code: String
        let reason: String
    }

    static let file: File = try! IdentityVectorTests.load("community.json")

    @Test func theLimitsAreTheSpecs() {
        let limits = Self.file.limits
        #expect(limits.maximumPayload == CommunityEvent.maximumPayload && limits.maximumParents == CommunityEvent.maximumParents)
        #expect(limits.futureSkewMs == CommunityLog.futureSkew && limits.maximumManifest == Manifest.maximumBytes)
        #expect(limits.maximumReason == CommunityEvent.maximumReason && limits.maximumEvidence == CommunityEvent.maximumEvidence)
        #expect(limits.maximumReportPayload == CommunityReport.maximumPayload)
    }

    @Test func everyReportSignsIntoTheSameBytesAndOpensBack() throws {
        #expect(Self.file.reports.count >= 4)
        for vector in Self.file.reports {
            let fields = vector.fields
            let value: AnswerValue? = try fields.value.map { value in
                let numbers = try value.numbers.map { hex throws -> Double in
                    Double(bitPattern: try #require(UInt64(hex, radix: 16), "\(vector.name)"))
                }
                switch value.tag {
                case 1: return .number(try #require(numbers.first))
                case 2: return .counts(numbers)
                default: throw CommunityError(.malformed, "\(vector.name): tag \(value.tag)")
                }
            }
            let report = try CommunityReport(
                query: ObjectID(uncheckedBytes: try #require([UInt8](hexString: fields.query))),
                community: TCCID(uncheckedBytes: try #require([UInt8](hexString: fields.communityHex))), reported: fields.reported,
                asked: fields.asked, answered: fields.answered, value: value, reason: fields.reason)
            #expect(report.encodePayload().hex == vector.payload, "\(vector.name)")
            let key = try Ed25519.PrivateKey(seed: try #require([UInt8](hexString: vector.signerSeed)))
            let signed = report.signed(with: key)
            #expect(signed.envelope.bytes.hex == vector.envelope && signed.id.bytes.hex == vector.id, "\(vector.name)")
            #expect(signed.signer.description == vector.signer, "\(vector.name)")
            let opened = try SignedCommunityReport.open(try #require([UInt8](hexString: vector.envelope)))
            #expect(opened == signed, "\(vector.name)")
            // The asker's check: the member's key, its community, the query sent; nothing else.
            try opened.check(member: signed.signer, community: report.community, query: report.query)
            let stranger = PersonaID(uncheckedBytes: [UInt8](repeating: 7, count: 32))
            #expect(throws: ExchangeError.self) { try opened.check(member: stranger, community: report.community, query: report.query) }
            let elsewhere = TCCID(uncheckedBytes: [UInt8](repeating: 7, count: 32))
            #expect(throws: ExchangeError.self) { try opened.check(member: signed.signer, community: elsewhere, query: report.query) }
            #expect(throws: ExchangeError.self) { try opened.check(member: signed.signer, community: report.community, query: ObjectID(uncheckedBytes: [UInt8](repeating: 7, count: 32))) }
        }
    }

    @Test func everyInvalidReportIsRefusedWithItsCode() throws {
        #expect(Self.file.invalidReports.count >= 20)
        for vector in Self.file.invalidReports {
            let refusal = try #require(throws: ExchangeError.self, "\(vector.name)") {
                try SignedCommunityReport.open(try #require([UInt8](hexString: vector.envelope)))
            }
            #expect(refusal.code.name == vector.error, "\(vector.name): \(refusal)")
        }
    }

    @Test func everyValidEventOpensAndSignsIntoTheSameBytes() throws {
        #expect(Self.file.events.count >= 23)
        for vector in Self.file.events {
            let opened = try SignedCommunityEvent.open(try #require([UInt8](hexString: vector.envelope)))
            #expect(opened.id.bytes.hex == vector.id, "\(vector.name)")
            #expect(opened.event.encodePayload().hex == vector.payload, "\(vector.name)")
            let key = try Ed25519.PrivateKey(seed: try #require([UInt8](hexString: vector.authorSeed)))
            #expect(opened.event.signed(with: key).envelope.bytes.hex == vector.envelope, "\(vector.name)")
        }
        let kinds = Set(try Self.file.events.map { try SignedCommunityEvent.open([UInt8](hexString: $0.envelope)!).event.body.kind })
        #expect(kinds == Set(CommunityEvent.Kind.allCases))
    }

    @Test func everyInvalidEventIsRefusedWithItsCode() throws {
        #expect(Self.file.invalidEvents.count >= 40)
        for vector in Self.file.invalidEvents {
            let refusal = try #require(throws: CommunityError.self, "\(vector.name)") {
                try SignedCommunityEvent.open(try #require([UInt8](hexString: vector.envelope)))
            }
            #expect(refusal.code.name == vector.error, "\(vector.name): \(refusal)")
        }
    }

    @Test(arguments: Self.file.logs.map(\.name))
    func eachScenarioReplaysToTheSameState(_ name: String) throws {
        let scenario = try #require(Self.file.logs.first { $0.name == name })
        var log: CommunityLog?
        var byID: [String: SignedCommunityEvent] = [:]
        for step in scenario.steps {
            let bytes = try #require([UInt8](hexString: step.event))
            let outcome = Self.deliver(bytes, into: &log, now: step.now, index: &byID)
            #expect(outcome == step.outcome, "\(name) / \(step.name)")
            let current = try #require(log)
            #expect(current.state.hash.hex == step.stateHash, "\(name) / \(step.name)")
            #expect(current.heads.map(\.bytes.hex).sorted() == step.heads, "\(name) / \(step.name)")
        }
        let final = try #require(log)
        #expect(final.community.bytes.hex == scenario.communityHex)
        #expect(final.order.map(\.bytes.hex) == scenario.order, "\(name)")
        #expect(Self.voids(final) == scenario.void.sorted { $0.id < $1.id }, "\(name)")
        #expect(final.state.canonicalBytes.hex == scenario.stateBytes, "\(name)")
        #expect(final.state.hash.hex == scenario.stateHash)

        for permutation in scenario.permutations ?? [] {
            var replica = try CommunityLog(create: final.create)
            for id in permutation.delivery where id != final.create.id.bytes.hex {
                try replica.insert(try #require(byID[id]), now: permutation.now)
            }
            #expect(replica.state.hash.hex == permutation.stateHash, "\(name) / \(permutation.name)")
            #expect(Self.voids(replica) == permutation.void.sorted { $0.id < $1.id }, "\(name) / \(permutation.name)")
        }
    }

    @Test func everyCommunityFrameEncodesToTheSameBytes() throws {
        #expect(Self.file.frames.count >= 14)
        for vector in Self.file.frames {
            let frame = try Self.wireFrame(vector)
            #expect((try frame.serializedBytes() as [UInt8]).hex == vector.bytes, "\(vector.name)")
            let decoded = try WireFrame(serializedBytes: try #require([UInt8](hexString: vector.bytes)))
            #expect(decoded == frame, "\(vector.name)")
            #expect(decoded.unknownFields.data.isEmpty, "\(vector.name)")
        }
        let bodies = Set(Self.file.frames.map(\.body))
        #expect(bodies == [
            "community_describe", "community_description", "community_sync", "community_events", "community_push",
            "community_ack", "community_question", "answer", "community_kept_request", "community_kept", "error",
        ])
        // Each question is a member persona's query to another member's TCC, and the answer with
        // its request_id is that TCC's, naming that query.
        for question in Self.file.frames where question.body == "community_question" {
            let queryHex = try #require(question.query)
            let query = try SignedQuery.open(try #require([UInt8](hexString: queryHex)))
            guard case .persona = query.query.requester else {
                Issue.record("\(question.name): the requester is not a persona")
                continue
            }
            let response = try #require(Self.file.frames.first { $0.body == "answer" && $0.requestId == question.requestId }, "\(question.name)")
            let answerHex = try #require(response.envelope)
            let answer = try SignedAnswer.open(try #require([UInt8](hexString: answerHex)))
            #expect(answer.answer.query == query.id && answer.answer.target == query.query.target, "\(response.name)")
        }
        #expect(Set(Self.file.frames.compactMap(\.code)) == [10, 11])
        #expect(Set(Self.file.frames.compactMap(\.complete)) == [false, true])
    }

    /// The vector's frame, built field by field.
    static func wireFrame(_ vector: FrameVector) throws -> WireFrame {
        var frame = WireFrame()
        frame.requestID = try #require(UInt64(vector.requestId), "\(vector.name)")
        switch vector.body {
        case "community_describe":
            var describe = WireCommunityDescribe()
            describe.community = try data(vector.community)
            frame.communityDescribe = describe
        case "community_description":
            var description = WireCommunityDescription()
            description.community = try data(vector.community)
            description.createEvent = try data(vector.createEvent)
            description.manifest = try data(vector.manifest)
            description.heads = try data(each: vector.heads)
            frame.communityDescription = description
        case "community_sync":
            var sync = WireCommunitySync()
            sync.community = try data(vector.community)
            sync.heads = try data(each: vector.heads)
            frame.communitySync = sync
        case "community_events":
            var events = WireCommunityEvents()
            events.community = try data(vector.community)
            events.events = try data(each: vector.events)
            events.complete = try #require(vector.complete, "\(vector.name)")
            frame.communityEvents = events
        case "community_push":
            var push = WireCommunityPush()
            push.community = try data(vector.community)
            push.events = try data(each: vector.events)
            frame.communityPush = push
        case "community_ack":
            var ack = WireCommunityAck()
            ack.community = try data(vector.community)
            ack.accepted = try #require(vector.accepted, "\(vector.name)")
            ack.refused = try #require(vector.refused, "\(vector.name)").map { (refusal) throws -> WireEventRefusal in
                var wire = WireEventRefusal()
                wire.id = try data(refusal.id)
                wire.code = refusal.code
                wire.reason = refusal.reason
                return wire
            }
            frame.communityAck = ack
        case "community_question":
            var question = WireCommunityQuestion()
            question.community = try data(vector.community)
            question.query = try data(vector.query)
            question.institution = try data(vector.institution ?? "")
            question.minCount = vector.minCount ?? 0
            question.epsilon = try double(vector.epsilon)
            question.budget = try double(vector.budget)
            frame.communityQuestion = question
        case "community_kept_request":
            var request = WireCommunityKeptRequest()
            request.community = try data(vector.community)
            request.member = try data(vector.member)
            frame.communityKeptRequest = request
        case "community_kept":
            var kept = WireCommunityKept()
            kept.community = try data(vector.community)
            kept.member = try data(vector.member)
            kept.answers = try #require(vector.answers, "\(vector.name)").map { try data($0) }
            frame.communityKept = kept
        case "answer":
            var response = WireQueryResponse()
            response.envelope = try data(vector.envelope)
            frame.answer = response
        case "error":
            var error = WireError()
            let code = try #require(vector.code, "\(vector.name)")
            error.code = try #require(WireErrorCode(rawValue: code), "\(vector.name)")
            error.message = try #require(vector.message, "\(vector.name)")
            frame.error = error
        default:
            Issue.record("\(vector.name): unknown body '\(vector.body)'")
        }
        return frame
    }

    static func data(_ hex: String?) throws -> Data {
        let text = try #require(hex)
        return Data(try #require([UInt8](hexString: text)))
    }

    static func double(_ hex: String?) throws -> Double {
        Double(bitPattern: try #require(UInt64(hex ?? "0", radix: 16)))
    }

    static func data(each hexes: [String]?) throws -> [Data] {
        try #require(hexes).map { try data($0) }
    }

    /// Opens and inserts (or starts the log with a create); the outcome as the vectors name it.
    static func deliver(
        _ bytes: [UInt8], into log: inout CommunityLog?, now: UInt64, index: inout [String: SignedCommunityEvent]
    ) -> String {
        do {
            let event = try SignedCommunityEvent.open(bytes)
            index[event.id.bytes.hex] = event
            if var current = log {
                try current.insert(event, now: now)
                log = current
            } else {
                log = try CommunityLog(create: event)
            }
            return "accepted"
        } catch {
            return error.code.name
        }
    }

    static func voids(_ log: CommunityLog) -> [VoidEvent] {
        log.void.map { VoidEvent(id: $0.key.bytes.hex, code: $0.value.code.name) }.sorted { $0.id < $1.id }
    }
}
