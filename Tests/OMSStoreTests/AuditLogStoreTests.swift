import Foundation
import GRDB
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// `oms audit verify`'s promise, tested the way an attacker would break it: by editing the
/// SQLite file behind the node's back.
@Suite struct AuditLogStoreTests {
    static let tcc = try! TCCID(bytes: [UInt8](repeating: 9, count: 32))

    private func withLog(
        _ body: (_ store: NodeStore, _ owner: Ed25519.PrivateKey, _ file: DatabaseQueue) throws -> Void
    ) throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let owner = Ed25519.PrivateKey()
        for n in 1...6 {
            try store.appendAudit(tcc: Self.tcc, kind: n == 3 ? .login : .dataAccess, detail: Array("{\"n\":\(n)}".utf8))
        }
        try store.checkpointAudit(tcc: Self.tcc, key: owner)
        #expect(try store.verifyAudit(tcc: Self.tcc, owner: owner.publicKey).isIntact)
        try body(store, owner, try DatabaseQueue(path: scratch.data.database.path))
    }

    @Test func appendedEntriesChainAndSurviveReopening() throws {
        try withLog { store, owner, _ in
            let entries = try store.auditEntries(tcc: Self.tcc)
            #expect(entries.map(\.sequence) == Array(1...6))
            #expect(entries[2].kind == .login)
            let reopened = try NodeStore(directory: store.directory)
            #expect(try reopened.verifyAudit(tcc: Self.tcc, owner: owner.publicKey).isIntact)
            #expect(try reopened.auditEntries(tcc: try TCCID(bytes: [UInt8](repeating: 1, count: 32))).isEmpty)
        }
    }

    @Test func aRowChangedInTheFileIsFound() throws {
        try withLog { store, owner, file in
            try file.write { try $0.execute(sql: "UPDATE audit_entry SET detail = x'00' WHERE sequence = 4") }
            let problems = try store.verifyAudit(tcc: Self.tcc, owner: owner.publicKey).problems
            #expect(problems.contains { $0.kind == .changed && $0.sequence == 4 })
        }
    }

    @Test func aRowRemovedFromTheFileIsFound() throws {
        try withLog { store, owner, file in
            try file.write { try $0.execute(sql: "DELETE FROM audit_entry WHERE sequence = 2") }
            let problems = try store.verifyAudit(tcc: Self.tcc, owner: owner.publicKey).problems
            #expect(problems.contains { $0.kind == .removed && $0.sequence == 2 })
        }
    }

    @Test func theLastRowRemovedIsFoundThroughTheCheckpoint() throws {
        try withLog { store, owner, file in
            try file.write { try $0.execute(sql: "DELETE FROM audit_entry WHERE sequence = 6") }
            let problems = try store.verifyAudit(tcc: Self.tcc, owner: owner.publicKey).problems
            #expect(problems.contains { $0.kind == .removed && $0.sequence == 6 })
        }
    }

    @Test func rowsReorderedInTheFileAreFound() throws {
        try withLog { store, owner, file in
            try file.write { db in
                try db.execute(sql: "UPDATE audit_entry SET sequence = -1 WHERE sequence = 2")
                try db.execute(sql: "UPDATE audit_entry SET sequence = 2 WHERE sequence = 5")
                try db.execute(sql: "UPDATE audit_entry SET sequence = 5 WHERE sequence = -1")
            }
            let problems = try store.verifyAudit(tcc: Self.tcc, owner: owner.publicKey).problems
            #expect(problems.contains { $0.kind == .reordered })
        }
    }

    @Test func aForgedCheckpointIsAProblemItself() throws {
        try withLog { store, owner, file in
            try file.write { try $0.execute(sql: "UPDATE audit_checkpoint SET envelope = x'4f4d5345'") }
            let problems = try store.verifyAudit(tcc: Self.tcc, owner: owner.publicKey).problems
            #expect(problems.contains { $0.kind == .changed && $0.detail.contains("checkpoint") })
        }
    }
}
