import Foundation
import OMSAPI
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore
import Testing

/// The personal data store through the real API: devices push batches with their own tokens,
/// batches are checked whole and committed once, records rest sealed, and the owner's
/// policies (versioned, tested before use) decide what the rule engine answers.
extension IntegrationTests {
    @Suite struct DataStoreTests {
        let root = NodeHarness.temporaryDirectory()

        static func steps(_ range: Range<Int>, start: Int64 = 1_795_687_200_000) -> String {
            range.map { "{\"stream\":\"steps\",\"time\":\(start + Int64($0) * 60_000),\"count\":\($0 % 200)}" }.joined(separator: "\n")
        }

        static func push(
            _ body: String, as device: OwnerAPIClient, batch: String?, type: String = "application/x-ndjson"
        ) async throws -> (status: Int, receipt: IngestReceipt) {
            let reply = try await device.send(
                .POST, "/v1/ingest", body: Array(body.utf8), contentType: type, headers: batch.map { [("Idempotency-Key", $0)] } ?? [])
            return (Int(reply.status.code), try JSONDecoder.api.decode(IngestReceipt.self, from: Data(reply.body)))
        }

        /// A node with TCF "home", TCC "alice", a declared "diary" stream and a phone device.
        static func setUp(_ node: APINode) async throws -> (alice: TCCRecord, phone: OwnerAPIClient) {
            let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
            let alice: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "alice"))
            let diary = try StreamSchema(
                fields: [.init(name: "mood", type: .integer, minimum: 0, maximum: 10), .init(name: "text", type: .text, required: false)],
                value: "mood")
            let _: StreamRecord = try await node.owner.send(.PUT, "/v1/tccs/alice/streams/diary", json: diary)
            let added: AddedDevice = try await node.owner.post("/v1/tccs/alice/devices", AddDeviceRequest(name: "phone", streams: ["steps", "gps", "diary"]))
            #expect(added.token.hasPrefix("omsd_") && added.device.streams.map(\.rawValue) == ["diary", "gps", "steps"])
            return (alice, OwnerAPIClient(endpoint: node.owner.endpoint, token: added.token))
        }

        @Test func batchesAreCommittedOnceAndRefusedWhole() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let (alice, phone) = try await Self.setUp(node)
                let first = try await Self.push(Self.steps(0..<1000), as: phone, batch: "b-1")
                #expect(first.status == 201 && first.receipt.records == 1000 && !first.receipt.duplicate)
                // A retry (the device never saw the receipt) is acknowledged, not stored twice.
                let retry = try await Self.push(Self.steps(0..<1000), as: phone, batch: "b-1")
                #expect(retry.status == 200 && retry.receipt.duplicate && retry.receipt.records == 1000)
                // JSON arrays work too.
                let json = "[" + Self.steps(1000..<1010).split(separator: "\n").joined(separator: ",") + "]"
                #expect(try await Self.push(json, as: phone, batch: "b-2", type: "application/json").receipt.records == 10)

                func stepsHeld() async throws -> Int {
                    let streams: [StreamBody] = try await node.readOnly.get("/v1/tccs/alice/streams")
                    return streams.first { $0.name == .steps }?.records ?? -1
                }
                #expect(try await stepsHeld() == 1010)

                // A bad record refuses the batch whole and says where; nothing is kept.
                let bad = Self.steps(0..<2) + "\n{\"stream\":\"steps\",\"time\":1795687200000,\"count\":-3}\n" + Self.steps(2..<5)
                let refused = await refusal { _ = try await Self.push(bad, as: phone, batch: "b-3") }
                #expect(refused?.status == 422 && refused?.code == "invalidField")
                #expect(refused?.location == APIErrorBody.Location(line: 3, record: 3, field: "count"), "\(String(describing: refused))")
                let notAllowed = await refusal {
                    _ = try await Self.push("{\"stream\":\"heart_rate\",\"time\":1,\"bpm\":60}", as: phone, batch: "b-4")
                }
                #expect(notAllowed?.status == 422 && notAllowed?.code == "notAllowed" && notAllowed?.location?.field == "stream")
                #expect(try await stepsHeld() == 1010)
                // The refused batch id is free: the corrected batch goes through under it.
                #expect(try await Self.push(Self.steps(5000..<5003), as: phone, batch: "b-3").status == 201)

                // Requests that are not a device's batch.
                #expect(await refusal { _ = try await Self.push(Self.steps(0..<1), as: phone, batch: nil) }?.status == 400)
                #expect(await refusal { _ = try await Self.push(Self.steps(0..<1), as: phone, batch: "x", type: "text/plain") }?.status == 415)
                #expect(await refusal { _ = try await Self.push(Self.steps(0..<1), as: node.owner, batch: "x") }?.status == 401, "the owner token is not a device token")
                let forged = OwnerAPIClient(endpoint: node.owner.endpoint, token: "omsd_" + String(repeating: "0", count: 64))
                #expect(await refusal { _ = try await Self.push(Self.steps(0..<1), as: forged, batch: "x") }?.status == 401)

                // Every committed batch is in the audit log; the log still verifies.
                let writes: [AuditEntryBody] = try await node.readOnly.get("/v1/tccs/alice/audit?kind=data.write")
                #expect(writes.count == 3 && writes[0].detail.contains("\"batch\":\"b-1\"") && writes[0].detail.contains("\"records\":\"1000\""))
                let verification: AuditVerificationBody = try await node.readOnly.get("/v1/tccs/alice/audit/verification")
                #expect(verification.intact)

                // Removing the device stops its token at once; a stopped TCF takes no data.
                _ = try await node.owner.send(.DELETE, "/v1/tccs/alice/devices/phone")
                #expect(await refusal { _ = try await Self.push(Self.steps(0..<1), as: phone, batch: "b-9") }?.status == 401)
                let (_, token) = try node.host.addDevice(to: alice, name: Name("watch"), streams: [.steps])
                let watch = OwnerAPIClient(endpoint: node.owner.endpoint, token: token)
                let _: TCFRecord = try await node.owner.post("/v1/tcfs/home/stop", [String: String]())
                #expect(await refusal { _ = try await Self.push(Self.steps(0..<1), as: watch, batch: "w-1") }?.code == "stopped")
            }
        }

        @Test func recordsRestSealed() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let (alice, phone) = try await Self.setUp(node)
                let marker = "zebra-crossing-at-dawn"
                let body = (0..<50).map { "{\"stream\":\"diary\",\"time\":\(1_795_687_200_000 + $0),\"mood\":7,\"text\":\"\(marker) \($0)\"}" }
                    .joined(separator: "\n")
                #expect(try await Self.push(body, as: phone, batch: "d-1").status == 201)
                // Read back through the host: the records are all there, decrypted.
                let records = try node.host.records(of: alice, stream: StreamName("diary"))
                #expect(records.count == 50 && records[3].values == [.integer(7), .text("\(marker) 3")])
                // Not one byte of the text is in the database files.
                for suffix in ["", "-wal"] {
                    let bytes = Array((try? Data(contentsOf: URL(fileURLWithPath: node.directory.database.path + suffix))) ?? Data())
                    #expect(Data(bytes).range(of: Data(marker.utf8)) == nil, "plaintext found in db\(suffix)")
                }
            }
        }

        @Test func policiesAreVersionedTestedAndEnforced() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let (alice, phone) = try await Self.setUp(node)
                _ = try await Self.push(Self.steps(0..<100), as: phone, batch: "s-1")
                let asker = PersonaID(uncheckedBytes: SecureRandom.bytes(32))

                let broken = await refusal {
                    let _: PolicyRecord = try await node.owner.send(.PUT, "/v1/tccs/alice/policies/share", json: SetPolicyRequest(yaml: "version: 1\nrules: [oops"))
                }
                #expect(broken?.status == 400 && broken?.code == "malformed")
                let policy = """
                    version: 1
                    rules:
                      - id: steps-stats
                        effect: permit
                        principals: [{persona: \(asker)}]
                        actions: [answer]
                        streams: [steps]
                        answers: [count, mean]
                        min-count: 10
                        epsilon: 0.5
                        budget: 1.0
                        rate: {count: 5, seconds: 60}
                    """
                let v1: PolicyRecord = try await node.owner.send(.PUT, "/v1/tccs/alice/policies/share", json: SetPolicyRequest(yaml: policy))
                let v2: PolicyRecord = try await node.owner.send(.PUT, "/v1/tccs/alice/policies/share", json: SetPolicyRequest(yaml: policy))
                #expect(v1.version == 1 && v2.version == 2)
                let versions: [PolicyRecord] = try await node.readOnly.get("/v1/tccs/alice/policies/share")
                #expect(versions.map(\.version) == [1, 2])
                let changes: [AuditEntryBody] = try await node.readOnly.get("/v1/tccs/alice/audit?kind=policy.change")
                #expect(changes.filter { $0.detail.contains("policy.set") }.count == 2)

                // The dry run names the rule and the obligations; another stream is denied by default.
                func test(_ stream: String, _ module: String) async throws -> PolicyDecisionBody {
                    try await node.readOnly.post(
                        "/v1/tccs/alice/policy-tests",
                        PolicyTestRequest(
                            requester: asker.description, action: .answer, stream: stream, module: module, from: nil, to: nil, region: nil,
                            purpose: nil, memberOf: nil, claims: nil))
                }
                let permit = try await test("steps", "mean")
                #expect(permit.effect == "permit" && permit.rules == ["share/steps-stats"] && permit.minimumCount == 10 && permit.epsilon == 0.5)
                let deny = try await test("gps", "distance")
                #expect(deny.effect == "deny" && deny.rules.isEmpty && deny.reason.contains("default deny"))

                // The rule engine enforces it: noise, budget, rate, replays, minimum count.
                func ask(_ module: AnswerModule, query: [UInt8] = SecureRandom.bytes(32), window: TimeWindow? = nil) throws -> AnswerOutcome {
                    try node.host.answer(
                        AnswerRequest(
                            requester: .init(persona: asker), requesterID: asker.description, stream: .steps, module: module, window: window,
                            query: query, expires: Int64(Date().timeIntervalSince1970 * 1000) + 60_000), for: alice)
                }
                let first = try ask(.count)
                guard case .number(let noisyCount) = first.value else { Issue.record("a count is a number"); return }
                #expect(first.epsilon == 0.5 && first.budgetSpent == 0.5 && first.rules == ["share/steps-stats"])
                #expect(abs(noisyCount - 100) < 60, "Laplace(2) noise stays this small with overwhelming probability")
                let replayed = SecureRandom.bytes(32)
                _ = try ask(.mean, query: replayed)
                let spent = #expect(throws: AnswerRefusal.self) { _ = try ask(.mean) }
                #expect(spent?.code == .budgetExhausted && spent?.rules == ["share/steps-stats"])
                let replay = #expect(throws: AnswerRefusal.self) { _ = try ask(.mean, query: replayed) }
                #expect(replay?.code == .replayed)
                // The budget survives a restart: it is in the store, not in memory.
                #expect(try node.store.privacySpent(tcc: alice.id)[asker.description] == 1.0)
                // Too few records in the window: the minimum count refuses before anything is spent.
                let narrow = try TimeWindow(from: Date(timeIntervalSince1970: 1_795_687_200), to: Date(timeIntervalSince1970: 1_795_687_200 + 300))
                let few = #expect(throws: AnswerRefusal.self) { _ = try ask(.count, window: narrow) }
                #expect(few?.code == .tooFewRecords)
                // A module the rule does not name is denied, and every decision is audited.
                let other = #expect(throws: AnswerRefusal.self) { _ = try ask(.max) }
                #expect(other?.code == .denied)
                let answers: [AuditEntryBody] = try await node.readOnly.get("/v1/tccs/alice/audit?kind=exchange.answer")
                let refusals: [AuditEntryBody] = try await node.readOnly.get("/v1/tccs/alice/audit?kind=exchange.refusal")
                #expect(answers.count == 2 && refusals.count == 4)
                #expect(refusals.map { $0.detail.contains("\"outcome\":\"budgetExhausted\"") }.contains(true))
            }
        }

        @Test func anExportReadsBackIntoAFreshTCC() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let (alice, phone) = try await Self.setUp(node)
                let diary = #"{"stream":"diary","time":1795687200000,"mood":3,"text":"line\nbreak \"quoted\" \\ tab\t é"}"#
                let gps = #"{"stream":"gps","time":1795687200500,"lat":52.520008,"lon":13.404954,"accuracy":4.5}"#
                _ = try await Self.push(Self.steps(0..<5000) + "\n" + diary + "\n" + gps, as: phone, batch: "e-1")
                for rules in ["[]", "[{id: a, effect: permit, principals: [anyone], actions: [answer], streams: [steps], answers: [count]}]"] {
                    let _: PolicyRecord = try await node.owner.send(
                        .PUT, "/v1/tccs/alice/policies/share", json: SetPolicyRequest(yaml: "version: 1\nrules: \(rules)\n"))
                }
                let _: ClaimRecord = try await node.owner.post(
                    "/v1/tccs/alice/claims",
                    IssueClaimRequest(persona: nil, subject: alice.id.description, type: "owner", value: "", validForSeconds: 3600, revocable: false))

                #expect(await refusal { _ = try await node.readOnly.send(.GET, "/v1/tccs/alice/export") }?.status == 403)
                let export = try await node.owner.send(.GET, "/v1/tccs/alice/export").body
                let lines = export.split(separator: 0x0a)
                #expect(lines.first?.starts(with: #"{"kind":"oms-export""#.utf8) == true)
                #expect(lines.last.map { String(decoding: $0, as: UTF8.self) }?.contains(#""records":5002"#) == true)
                #expect(lines.filter { $0.starts(with: #"{"kind":"policy""#.utf8) }.count == 2, "every version")

                let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "fresh"))
                // A cut file is refused whole, and nothing is written.
                let cut = Array(export.dropLast(lines.last!.count + 1))
                let refusedCut = await refusal { _ = try await node.owner.send(.POST, "/v1/tccs/fresh/import", body: cut, contentType: "application/x-ndjson") }
                #expect(refusedCut?.status == 400 && refusedCut?.message.contains("cut short") == true)
                let fresh = try node.host.tcc("fresh")
                #expect(try node.host.streamSummaries(of: fresh).isEmpty)

                let reply = try await node.owner.send(.POST, "/v1/tccs/fresh/import", body: export, contentType: "application/x-ndjson")
                let report = try JSONDecoder.api.decode(ImportReport.self, from: Data(reply.body))
                #expect(report.records == 5002 && report.streams == 1 && report.policies == 2 && report.claims == 1 && report.auditLines > 0)
                for stream in [StreamName.steps, .gps, try StreamName("diary")] {
                    #expect(try node.host.records(of: fresh, stream: stream) == node.host.records(of: alice, stream: stream), "\(stream)")
                }
                #expect(try node.host.records(of: fresh, stream: StreamName("diary")).first?.values[1] == .text("line\nbreak \"quoted\" \\ tab\t é"))
                #expect(try node.host.policyVersions(fresh, name: Name("share")).map(\.body) == node.host.policyVersions(alice, name: Name("share")).map(\.body))
                #expect(try node.host.claims(of: fresh).count == 1)
                // Once it holds data, a TCC takes no second import.
                let again = await refusal { _ = try await node.owner.send(.POST, "/v1/tccs/fresh/import", body: export, contentType: "application/x-ndjson") }
                #expect(again?.status == 409)
            }
        }

        @Test func ratesHoldTogetherAndBadSchemasAndQuestionsAreRefused() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let (alice, phone) = try await Self.setUp(node)
                _ = try await Self.push(Self.steps(0..<100), as: phone, batch: "s-1")
                let gps = (0..<20).map { "{\"stream\":\"gps\",\"time\":\(1_795_687_200_000 + $0 * 1000),\"lat\":52.5,\"lon\":\(13.4 + Double($0) / 1000)}" }
                _ = try await Self.push(gps.joined(separator: "\n"), as: phone, batch: "g-1")
                let asker = PersonaID(uncheckedBytes: SecureRandom.bytes(32))
                // Two rules permit the same answer with different rates: both hold.
                let policy = """
                    version: 1
                    rules:
                      - {id: per-minute, effect: permit, principals: [{persona: \(asker)}], actions: [answer], streams: [steps], rate: {count: 1, seconds: 60}}
                      - {id: per-hour, effect: permit, principals: [{persona: \(asker)}], actions: [answer], streams: [steps], rate: {count: 10, seconds: 3600}}
                      - {id: noisy-places, effect: permit, principals: [{persona: \(asker)}], actions: [answer], streams: [gps], epsilon: 0.5}
                    """
                _ = try node.host.setPolicy(alice, name: Name("rates"), yaml: policy)
                func ask(_ module: AnswerModule, _ stream: StreamName = .steps) throws -> AnswerOutcome {
                    try node.host.answer(
                        AnswerRequest(
                            requester: .init(persona: asker), requesterID: asker.description, stream: stream, module: module, query: SecureRandom.bytes(32),
                            expires: .max), for: alice)
                }
                #expect(try ask(.count).rules == ["rates/per-minute", "rates/per-hour"])
                let second = #expect(throws: AnswerRefusal.self) { _ = try ask(.count) }
                #expect(second?.code == .rateLimited && second?.reason.contains("60 s") == true, "the per-minute rate holds beside the per-hour one")
                node.clock.advance(61)
                #expect(throws: Never.self) { _ = try ask(.mean) }
                // A location module has no noisy form: a policy asking for noise gets no exact answer.
                let places = #expect(throws: AnswerRefusal.self) { _ = try ask(.distance, .gps) }
                #expect(places?.code == .denied && places?.reason.contains("no noisy form") == true)

                // Schemas that would trap later are refused when declared.
                let badGPS = await refusal {
                    _ = try await node.owner.send(
                        .PUT, "/v1/tccs/alice/streams/track",
                        body: Array(#"{"kind":"gps","fields":[{"name":"lat","type":"number","required":true,"minimum":-90,"maximum":90}]}"#.utf8))
                }
                #expect(badGPS?.status == 400 && badGPS?.code == "invalidSchema")
                let hugeText = await refusal {
                    _ = try await node.owner.send(
                        .PUT, "/v1/tccs/alice/streams/notes", body: Array(#"{"fields":[{"name":"text","type":"text","required":true,"maximum":1e300}]}"#.utf8))
                }
                #expect(hugeText?.status == 400 && hugeText?.code == "invalidSchema")
                // A what-if claim with no type is a bad request, not a crash.
                let noType = await refusal {
                    let _: PolicyDecisionBody = try await node.readOnly.post(
                        "/v1/tccs/alice/policy-tests",
                        PolicyTestRequest(
                            requester: asker.description, action: .answer, stream: "steps", module: "count", from: nil, to: nil, region: nil,
                            purpose: nil, memberOf: nil, claims: ["", "@x"]))
                }
                #expect(noType?.status == 400)
            }
        }
    }
}
