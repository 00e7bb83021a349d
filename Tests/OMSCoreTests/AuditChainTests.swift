import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// The audit chain finds what was changed, removed or reordered, and the signed checkpoint
/// finds what the chain alone cannot: a rewritten tail and a log cut short.
@Suite struct AuditChainTests {
    static let tcc = try! TCCID(bytes: [UInt8](repeating: 7, count: 32))

    static func log(_ count: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for n in 0..<count {
            entries.append(
                AuditChain.entry(
                    after: entries.last, time: 1_700_000_000_000 + UInt64(n), kind: n % 2 == 0 ? .keyUse : .dataAccess,
                    detail: Array("entry \(n + 1)".utf8)))
        }
        return entries
    }

    @Test func anUntouchedLogIsIntact() {
        let entries = Self.log(10)
        #expect(entries.map(\.sequence) == Array(1...10))
        #expect(AuditChain.verify(entries).isIntact)
    }

    @Test func aChangedDetailIsFoundAtItsEntry() {
        var entries = Self.log(10)
        entries[4].detail = Array("nothing to see".utf8)
        let problems = AuditChain.verify(entries).problems
        #expect(problems.map(\.kind) == [.changed])
        #expect(problems.first?.sequence == 5)
    }

    @Test func aRemovedEntryIsFoundAsAGap() {
        var entries = Self.log(10)
        entries.remove(at: 6)
        let problems = AuditChain.verify(entries).problems
        #expect(problems.map(\.kind) == [.removed])
        #expect(problems.first?.sequence == 7)
    }

    @Test func entriesStoredOutOfOrderAreFound() {
        var entries = Self.log(10)
        entries.swapAt(2, 3)
        let problems = AuditChain.verify(entries).problems
        #expect(problems.contains { $0.kind == .reordered && $0.sequence == 3 })
        #expect(!problems.contains { $0.kind == .changed }, "the chain itself is whole once sorted")
    }

    @Test func aRewrittenTailIsCaughtOnlyByTheCheckpoint() {
        let original = Self.log(10)
        let checkpoint = AuditCheckpoint(tcc: Self.tcc, covering: original[9], time: 1)
        // Rewrite entry 6 and recompute every later hash: the chain alone is fooled.
        var forged = Array(original.prefix(5))
        for n in 5..<10 {
            forged.append(
                AuditChain.entry(after: forged.last, time: original[n].time, kind: original[n].kind, detail: Array("forged \(n)".utf8)))
        }
        #expect(AuditChain.verify(forged).isIntact)
        let problems = AuditChain.verify(forged, checkpoints: [checkpoint]).problems
        #expect(problems.map(\.kind) == [.changed])
        #expect(problems.first?.sequence == 10)
    }

    @Test func aLogCutShortIsCaughtByTheCheckpoint() {
        let original = Self.log(10)
        let checkpoint = AuditCheckpoint(tcc: Self.tcc, covering: original[9], time: 1)
        let problems = AuditChain.verify(Array(original.prefix(8)), checkpoints: [checkpoint]).problems
        #expect(problems.map(\.kind) == [.removed])
        #expect(problems.first?.sequence == 10)
    }

    @Test func aDuplicatedEntryIsAChange() {
        var entries = Self.log(5)
        entries.append(entries[2])
        #expect(AuditChain.verify(entries).problems.contains { $0.kind == .changed && $0.sequence == 3 })
    }

    @Test func checkpointsOpenOnlyForTheirOwnerAndType() throws {
        let owner = Ed25519.PrivateKey()
        let entries = Self.log(3)
        let checkpoint = AuditCheckpoint(tcc: Self.tcc, covering: entries[2], time: 42)
        let envelope = checkpoint.signed(with: owner)
        #expect(try AuditCheckpoint(opening: envelope.bytes, signer: owner.publicKey) == checkpoint)
        #expect(throws: EnvelopeError.self) { try AuditCheckpoint(opening: envelope.bytes, signer: Ed25519.PrivateKey().publicKey) }
        let note = Envelope.sign(type: .note, payload: checkpoint.payload, with: owner)
        #expect(throws: EnvelopeError.self) { try AuditCheckpoint(opening: note.bytes, signer: owner.publicKey) }
        let short = Envelope.sign(type: AuditCheckpoint.type, payload: Array(checkpoint.payload.prefix(79)), with: owner)
        #expect(throws: EnvelopeError.self) { try AuditCheckpoint(opening: short.bytes, signer: owner.publicKey) }
    }
}
