import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTestKit
import Testing

/// The community-log vectors of protocol-spec/README.md section 15 (`community.json`), written by
/// the independent Python implementation: Swift opens every valid event into the same id and
/// re-signs it into the same bytes, refuses every invalid one with the same code, and replays
/// each scenario's log step by step to the same outcomes, heads, order, void events and state.
@Suite struct CommunityVectorTests {
    struct File: Decodable {
        let limits: Limits
        let events: [ValidEvent]
        let invalidEvents: [InvalidEvent]
        let logs: [Log]
    }

    struct Limits: Decodable {
        let maximumPayload: Int
        let maximumParents: Int
        let futureSkewMs: UInt64
        let maximumManifest: Int
        let maximumReason: Int
        let maximumEvidence: Int
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

    static let file: File = try! IdentityVectorTests.load("community.json")

    @Test func theLimitsAreTheSpecs() {
        let limits = Self.file.limits
        #expect(limits.maximumPayload == CommunityEvent.maximumPayload && limits.maximumParents == CommunityEvent.maximumParents)
        #expect(limits.futureSkewMs == CommunityLog.futureSkew && limits.maximumManifest == Manifest.maximumBytes)
        #expect(limits.maximumReason == CommunityEvent.maximumReason && limits.maximumEvidence == CommunityEvent.maximumEvidence)
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
