import Foundation
import GRDB
import OMSAPI
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore
import Testing

/// What the owner keeps: the audit log (checked against edits made straight in the SQLite
/// file), the registry, and archives that restore a TCF on another node or refuse.
extension IntegrationTests {
    @Suite struct OwnerAPIStateTests {
        let root = NodeHarness.temporaryDirectory()

        /// A TCF "home" with a private TCC "alice" that has done a few audited things.
        static func populate(_ node: APINode) async throws -> TCCRecord {
            let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
            let alice: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "alice"))
            let club: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .community, name: "club"))
            let garden: PersonaRecord = try await node.owner.post("/v1/tccs/alice/personas", CreatePersonaRequest(context: "garden"))
            let _: RelationshipRecord = try await node.owner.post(
                "/v1/tccs/alice/relationships", RelationshipRequest(peer: garden.id.description, persona: "garden", label: "me"))
            let _: MembershipRecord = try await node.owner.post(
                "/v1/tccs/alice/memberships", MembershipRequest(community: club.id, persona: "garden", role: "member"))
            let _: PolicyRecord = try await node.owner.send(.PUT, "/v1/tccs/alice/policies/share-age", json: SetPolicyRequest(yaml: Self.policy))
            let _: ClaimRecord = try await node.owner.post(
                "/v1/tccs/alice/claims",
                IssueClaimRequest(persona: nil, subject: garden.id.description, type: "member", value: "garden", validForSeconds: 3600, revocable: true))
            return alice
        }

        static let policy = "version: 1\nrules:\n  - id: steps-count\n    effect: permit\n    principals: [anyone]\n    actions: [answer]\n    streams: [steps]\n    answers: [count]\n"

        @Test func theRegistryAndTheAuditLogRecordWhatHappened() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let alice = try await Self.populate(node)
                let registry: Registry = try await node.readOnly.get("/v1/tccs/alice/registry")
                #expect(registry.relationships.count == 1 && registry.memberships.count == 1 && registry.policies.count == 1)
                #expect(registry.memberships.first?.role.rawValue == "member")

                let all: [AuditEntryBody] = try await node.readOnly.get("/v1/tccs/\(alice.id)/audit")
                #expect(all.map(\.kind) == ["key.use", "key.use", "relationship", "membership", "policy.change", "key.use"])
                #expect(all.map(\.sequence) == Array(1...6))
                let policy: [AuditEntryBody] = try await node.readOnly.get("/v1/tccs/alice/audit?kind=policy.change")
                #expect(policy.count == 1 && policy[0].detail.contains("share-age"))
                node.clock.advance(3600)
                let later = ISO8601DateFormatter().string(from: node.clock.now)
                let none: [AuditEntryBody] = try await node.readOnly.get("/v1/tccs/alice/audit?since=\(later)")
                #expect(none.isEmpty)
                let badKind = await refusal { _ = try await node.readOnly.send(.GET, "/v1/tccs/alice/audit?kind=Not%20A%20Kind") }
                #expect(badKind?.status == 400)

                let intact: AuditVerificationBody = try await node.readOnly.get("/v1/tccs/alice/audit/verification")
                #expect(intact.intact && intact.entries == 6 && intact.checkpoints == 6)
            }
        }

        @Test(arguments: ["change", "remove", "reorder"])
        func editingTheDatabaseFileIsFound(edit: String) async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let alice = try await Self.populate(node)
                // Edit the SQLite file directly, as someone with the disk would.
                let database = try DatabaseQueue(path: node.directory.database.path)
                let tcc = Data(alice.id.bytes)
                try await database.write { db in
                    switch edit {
                    case "change":
                        try db.execute(sql: "UPDATE audit_entry SET detail = CAST('{}' AS BLOB) WHERE tcc = ? AND sequence = 3", arguments: [tcc])
                    case "remove":
                        try db.execute(sql: "DELETE FROM audit_entry WHERE tcc = ? AND sequence = 4", arguments: [tcc])
                    default:
                        // Swap the contents of rows 2 and 3, leaving each row's place.
                        let rows = try Row.fetchAll(db, sql: "SELECT rowid, * FROM audit_entry WHERE tcc = ? AND sequence IN (2, 3) ORDER BY sequence", arguments: [tcc])
                        try db.execute(sql: "UPDATE audit_entry SET sequence = -1 WHERE rowid = ?", arguments: [rows[0]["rowid"]])
                        for (target, source) in [(rows[1], rows[0]), (rows[0], rows[1])] {
                            try db.execute(
                                sql: "UPDATE audit_entry SET sequence = ?, time_ms = ?, kind = ?, detail = ?, hash = ? WHERE rowid = ?",
                                arguments: [source["sequence"], source["time_ms"], source["kind"], source["detail"], source["hash"], target["rowid"]])
                        }
                    }
                }
                try database.close()
                let result: AuditVerificationBody = try await node.readOnly.get("/v1/tccs/alice/audit/verification")
                #expect(!result.intact, "\(edit) is found")
                let expected = ["change": "changed", "remove": "removed", "reorder": "reordered"][edit]!
                #expect(result.problems.contains { $0.kind == expected }, "\(edit) is reported as \(expected): \(result.problems)")
            }
        }

        @Test func anArchiveRestoresOnAnotherNodeAndATamperedOneIsRefused() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            let archive = try await APINode.run(in: root, name: "first") { node in
                let alice = try await Self.populate(node)
                let archive = try await node.owner.send(.POST, "/v1/tcfs/home/archive", body: Array(try JSONEncoder.api.encode(ArchiveRequest(passphrase: "correct horse"))))
                #expect(archive.contentType == "application/octet-stream")
                let plain = String(decoding: archive.body, as: UTF8.self)
                #expect(!plain.contains("alice") && !plain.contains("garden"), "nothing in the archive is readable")
                let _: ChangedResponse = try await node.owner.send(.DELETE, "/v1/tcfs/home", json: [String: String]())
                #expect(try node.store.tcfs().isEmpty)
                #expect(try node.store.auditEntries(tcc: alice.id).isEmpty, "removing a TCF removes its logs too")
                return archive.body
            }
            try await APINode.run(in: root, name: "second") { node in
                let wrong = await refusal { let _: TCFRecord = try await node.owner.post("/v1/tcf-archives", RestoreRequest(passphrase: "wrong", archive: Data(archive))) }
                #expect(wrong?.status == 400 && wrong?.code == "badArchive")
                for offset in [5, 25, 40, archive.count / 2, archive.count - 1] {
                    var tampered = archive
                    tampered[offset] ^= 0x01
                    let refused = await refusal { let _: TCFRecord = try await node.owner.post("/v1/tcf-archives", RestoreRequest(passphrase: "correct horse", archive: Data(tampered))) }
                    #expect(refused?.code == "badArchive", "a flipped byte at \(offset) is refused")
                }
                let cut = await refusal { let _: TCFRecord = try await node.owner.post("/v1/tcf-archives", RestoreRequest(passphrase: "correct horse", archive: Data(archive.prefix(60)))) }
                #expect(cut?.code == "badArchive")
                #expect(try node.store.tcfs().isEmpty, "nothing was restored from a bad archive")

                let restored: TCFRecord = try await node.owner.post("/v1/tcf-archives", RestoreRequest(passphrase: "correct horse", archive: Data(archive)))
                #expect(restored.name.rawValue == "home" && restored.state == .running)
                let again = await refusal { let _: TCFRecord = try await node.owner.post("/v1/tcf-archives", RestoreRequest(passphrase: "correct horse", archive: Data(archive))) }
                #expect(again?.status == 409)
                // Everything came back, and the keys work on this node: sign something new.
                let registry: Registry = try await node.readOnly.get("/v1/tccs/alice/registry")
                #expect(registry.policies.first?.body == Self.policy)
                let claims: [ClaimRecord] = try await node.readOnly.get("/v1/tccs/alice/claims")
                #expect(claims.count == 1)
                let _: PersonaRecord = try await node.owner.post("/v1/tccs/alice/personas", CreatePersonaRequest(context: "new-here"))
                let verification: AuditVerificationBody = try await node.readOnly.get("/v1/tccs/alice/audit/verification")
                #expect(verification.intact && verification.entries == 7, "the log came along and goes on")
            }
        }
    }
}
