import Foundation
import OMSAPI
import OMSCore
import OMSCrypto
@testable import OMSNode
import OMSProtocol
import OMSStore
import Testing

/// The personal-data exchange between two real nodes over loopback: a persona on node B asks
/// node A's TCC, signed queries go out in QueryRequest frames, signed answers and refusals come
/// back, both sides audit, and forged, replayed or expired queries are refused.
extension IntegrationTests {
    @Suite struct ExchangeTests {
        let root = NodeHarness.temporaryDirectory()

        /// Node A hosts alice with a week of steps and a policy for B's persona "research";
        /// node B hosts bob with that persona and a session with A.
        static func withTwoNodes(_ body: @Sendable (APINode, APINode, PersonaRecord) async throws -> Void) async throws {
            let root = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root, name: "a") { a in
                try await APINode.run(in: root, name: "b") { b in
                    let (_, phone) = try await DataStoreTests.setUp(a)
                    _ = try await DataStoreTests.push(DataStoreTests.steps(0..<200), as: phone, batch: "week")
                    let _: TCFRecord = try await b.owner.post("/v1/tcfs", CreateTCFRequest(name: "lab"))
                    let _: TCCRecord = try await b.owner.post("/v1/tcfs/lab/tccs", CreateTCCRequest(kind: .private, name: "bob"))
                    let research: PersonaRecord = try await b.owner.post("/v1/tccs/bob/personas", CreatePersonaRequest(context: "research"))
                    let policy = """
                        version: 1
                        rules:
                          - id: research-steps
                            effect: permit
                            principals: [{persona: \(research.id)}]
                            actions: [answer]
                            streams: [steps]
                            answers: [mean, count, histogram]
                            min-count: 20
                            purposes: [activity-study]
                          - id: no-location
                            effect: forbid
                            principals: [anyone]
                            actions: [answer, raw, export]
                            streams: [gps]
                        """
                    let _: PolicyRecord = try await a.owner.send(.PUT, "/v1/tccs/alice/policies/research", json: SetPolicyRequest(yaml: policy))
                    try await b.node.addPeer(await NodeHarness.address(a.node))
                    try await NodeHarness.eventually("B has a session with A") { await NodeHarness.peers(of: b.node).contains(a.node.id) }
                    try await body(a, b, research)
                }
            }
        }

        static func ask(
            _ b: APINode, _ a: APINode, module: String, stream: String = "steps", numbers: [Double]? = nil, purpose: String? = "activity-study"
        ) async throws -> AskResult {
            let alice = try a.host.tcc("alice")
            return try await b.owner.post(
                "/v1/tccs/bob/asks",
                AskRequest(target: alice.id, node: a.node.id, persona: "research", module: module, stream: stream, numbers: numbers, purpose: purpose))
        }

        @Test func answersAndRefusalsCrossTheWireSignedAndAudited() async throws {
            try await Self.withTwoNodes { a, b, research in
                let alice = try a.host.tcc("alice")
                let mean = try await Self.ask(b, a, module: "mean")
                #expect(mean.outcome == "answer" && mean.rules == ["research/research-steps"] && mean.signer == alice.id.description)
                let expected = (0..<200).map { Double($0 % 200) }.reduce(0, +) / 200
                #expect(mean.number == expected)
                let histogram = try await Self.ask(b, a, module: "histogram", numbers: [0, 100, 200])
                #expect(histogram.numbers == [100, 100])

                // Refusals are signed by alice's TCC too, and name what decided.
                let location = try await Self.ask(b, a, module: "distance", stream: "gps")
                #expect(location.outcome == "refusal" && location.code == "denied" && location.rules == ["research/no-location"])
                let noPurpose = try await Self.ask(b, a, module: "mean", purpose: nil)
                #expect(noPurpose.code == "denied" && noPurpose.rules.isEmpty, "default deny: the rule needs the purpose")
                let unknown = try await Self.ask(b, a, module: "median")
                #expect(unknown.code == "unknownModule")
                let noStream = try await Self.ask(b, a, module: "mean", stream: "sleep")
                #expect(noStream.code == "unknownStream")
                // Records themselves only where a rule permits the raw action: answering is not enough.
                let rawDenied = try await Self.ask(b, a, module: "raw")
                #expect(rawDenied.code == "denied" && rawDenied.records == nil)
                let rawPolicy = "version: 1\nrules:\n  - {id: raw-steps, effect: permit, principals: [{persona: \(research.id)}], actions: [raw], streams: [steps]}\n"
                let _: PolicyRecord = try await a.owner.send(.PUT, "/v1/tccs/alice/policies/raw", json: SetPolicyRequest(yaml: rawPolicy))
                let raw = try await Self.ask(b, a, module: "raw")
                #expect(raw.outcome == "answer" && raw.rules == ["raw/raw-steps"])
                let lines = (raw.records ?? "").split(separator: "\n")
                #expect(lines.count == 200 && lines[3] == #"{"stream":"steps","time":1795687380000,"count":3}"#)
                let rawGPS = try await Self.ask(b, a, module: "raw", stream: "gps")
                #expect(rawGPS.code == "denied" && rawGPS.rules == ["research/no-location"], "the forbid rule still wins")

                // The kept envelope verifies on its own.
                let refusal = try SignedRefusal.open(Array(location.envelope))
                #expect(refusal.envelope.signer.rawRepresentation == alice.id.bytes)

                // Both sides wrote it down.
                let asked: [AuditEntryBody] = try await b.readOnly.get("/v1/tccs/bob/audit?kind=exchange.ask")
                #expect(asked.filter { $0.detail.contains("\"action\":\"ask\"") }.count == 9)
                #expect(asked.filter { $0.detail.contains("refusal: denied") }.count == 4)
                let answered: [AuditEntryBody] = try await a.readOnly.get("/v1/tccs/alice/audit?kind=exchange.answer")
                let refused: [AuditEntryBody] = try await a.readOnly.get("/v1/tccs/alice/audit?kind=exchange.refusal")
                #expect(answered.count == 3 && refused.count == 6)
                #expect(answered[0].detail.contains(research.id.description) && answered[0].detail.contains(mean.query.description))
            }
        }

        @Test func forgedReplayedAndExpiredQueriesAreRefused() async throws {
            try await Self.withTwoNodes { a, b, research in
                let alice = try a.host.tcc("alice")
                let bob = try b.host.tcc("bob")
                let persona = try b.host.persona("research", of: bob)
                let question = Exchange.Question(
                    target: alice.id, module: try ModuleName("count"), stream: "steps", purpose: "activity-study", lifetime: 30_000)
                let signed = try b.exchange.makeQuery(question, from: bob, as: persona)

                func send(_ bytes: [UInt8]) async throws -> QueryOutcome {
                    try b.exchange.receive(try await b.node.ask(bytes, to: a.node.id, timeout: .seconds(10)), for: signed, from: a.node.id, in: bob)
                }
                guard case .answer = try await send(signed.envelope.bytes) else { Issue.record("the genuine query is answered"); return }
                // The same bytes again: a replay, refused by alice's key.
                guard case .refusal(let replay) = try await send(signed.envelope.bytes) else { Issue.record("a replay is refused"); return }
                #expect(replay.refusal.code == .replayed && replay.envelope.signer.rawRepresentation == alice.id.bytes)

                // A restart forgets the in-memory replay window, not the store: still a replay.
                let restarted = Exchange(host: a.host, nodeIdentity: Ed25519.PrivateKey())
                let afterRestart = try SignedRefusal.open(restarted.respond(to: signed.envelope.bytes))
                #expect(afterRestart.refusal.code == .replayed && afterRestart.envelope.signer.rawRepresentation == alice.id.bytes)

                // A window reaching the end of time is answered, not a crash.
                let wide = try b.exchange.makeQuery(
                    Exchange.Question(
                        target: alice.id, module: try ModuleName("count"), stream: "steps", window: try Query.Window(from: 0, to: .max),
                        purpose: "activity-study"), from: bob, as: persona)
                let wideOutcome = try b.exchange.receive(
                    try await b.node.ask(wide.envelope.bytes, to: a.node.id, timeout: .seconds(10)), for: wide, from: a.node.id, in: bob)
                guard case .answer(let all) = wideOutcome, case .number(let count) = all.answer.value else { Issue.record("a wide window is answered"); return }
                #expect(count == 200)

                // A flipped byte in the signature: refused by node A's key (it cannot trust the target).
                var forged = signed.envelope.bytes
                forged[forged.count - signed.envelope.payload.count - 5] ^= 1
                // The refusal names the bytes received, so the asker of the genuine query would not take it as its answer.
                let bad = try SignedRefusal.open(try await b.node.ask(forged, to: a.node.id, timeout: .seconds(10)))
                #expect(bad.refusal.code.rawValue == "badSignature" && bad.envelope.signer.rawRepresentation == a.node.id.bytes)
                #expect(bad.refusal.query == ObjectID(uncheckedBytes: BLAKE2b.hash(forged, outputLength: 32)))

                // Expired: alice's node clock moves past the query's expiry.
                let late = try b.exchange.makeQuery(question, from: bob, as: persona)
                a.clock.advance(31)
                let lateOutcome = try b.exchange.receive(
                    try await b.node.ask(late.envelope.bytes, to: a.node.id, timeout: .seconds(10)), for: late, from: a.node.id, in: bob)
                guard case .refusal(let expired) = lateOutcome else { Issue.record("an expired query is refused"); return }
                #expect(expired.refusal.code == .expired)

                // A query for a TCC node A does not host: refused by the node.
                let elsewhere = try b.exchange.makeQuery(
                    Exchange.Question(target: bob.id, module: try ModuleName("count"), stream: "steps"), from: bob, as: persona)
                let outcome = try b.exchange.receive(
                    try await b.node.ask(elsewhere.envelope.bytes, to: a.node.id, timeout: .seconds(10)), for: elsewhere, from: a.node.id, in: bob)
                guard case .refusal(let unknown) = outcome else { Issue.record("an unknown target is refused"); return }
                #expect(unknown.refusal.code == .unknownTarget && unknown.envelope.signer.rawRepresentation == a.node.id.bytes)

                // An answer that is not for this query is refused by the asker's check.
                let other = try b.exchange.makeQuery(question, from: bob, as: persona)
                a.clock.advance(-31)
                let otherReply = try await b.node.ask(other.envelope.bytes, to: a.node.id, timeout: .seconds(10))
                #expect(throws: ExchangeError.self) { _ = try b.exchange.receive(otherReply, for: signed, from: a.node.id, in: bob) }
                _ = research
            }
        }
    }
}
