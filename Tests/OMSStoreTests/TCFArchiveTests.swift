import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// A TCF archive taken from one node and restored on another, the way `TCFHost.archive` and
/// `TCFHost.restore` drive the store: either every row comes back as it was, or nothing is
/// written and the error says the archive is bad.
@Suite struct TCFArchiveTests {
    static let passphrase = "correct horse battery staple"

    /// Byte offsets of the header fields (`TCFArchive`'s layout).
    static let saltOffset = 5
    static let opsOffset = 21
    static let memOffset = 29
    static let nonceOffset = 37
    static let headerLength = 61

    /// Two fresh nodes: `source` hosts a populated TCF and has archived it into `archive`;
    /// `target` has nothing yet.
    struct Scene {
        let source: NodeStore
        let target: NodeStore
        let targetNode: Ed25519.PrivateKey
        let hosted: PopulatedTCF
        let rows: TCFRows
        let archive: [UInt8]

        /// What `TCFHost.restore` does with the store: open, wrap the key for this node, import.
        @discardableResult
        func restore(_ bytes: [UInt8], passphrase: String = TCFArchiveTests.passphrase) throws -> TCFID {
            let (rows, key) = try TCFArchive.open(bytes, passphrase: passphrase)
            try target.importTCF(
                rows,
                wrappedKey: TCFSealing.wrap(key, tcf: rows.tcf, under: TCFSealing.wrappingKey(nodeIdentity: targetNode))
            )
            return rows.tcf
        }

        /// Seals `rows` (changed or not) under the hosted TCF's own key, as a node would.
        func seal(_ rows: TCFRows, parameters: Argon2id.Parameters = ScratchDirectory.fastArgon2) throws -> [UInt8] {
            try TCFArchive.seal(
                rows: rows, tcfKey: hosted.tcf.key, passphrase: TCFArchiveTests.passphrase, parameters: parameters)
        }
    }

    private func withScene(_ body: (Scene) throws -> Void) throws {
        let sourceScratch = ScratchDirectory()
        let targetScratch = ScratchDirectory()
        defer {
            sourceScratch.remove()
            targetScratch.remove()
        }
        let (source, sourceNode) = try sourceScratch.initialize()
        let (target, targetNode) = try targetScratch.initialize()
        let hosted = try PopulatedTCF(name: "home", store: source, node: sourceNode)
        let rows = try source.exportTCF(hosted.tcf.id)
        let archive = try TCFArchive.seal(
            rows: rows, tcfKey: hosted.tcf.key, passphrase: Self.passphrase, parameters: ScratchDirectory.fastArgon2)
        try body(
            Scene(source: source, target: target, targetNode: targetNode, hosted: hosted, rows: rows, archive: archive))
    }

    /// The target holds no hosting rows at all.
    private func expectEmpty(_ store: NodeStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let counts = try rowCounts(store.directory)
        #expect(counts.values.allSatisfy { $0 == 0 }, "\(counts)", sourceLocation: sourceLocation)
    }

    @Test func anArchiveRestoresEveryRowOnAnotherNode() throws {
        try withScene { scene in
            let tcf = scene.hosted.tcf
            // Every table is in the export, with something in it.
            #expect(scene.rows.tables.allSatisfy { !$0.rows.isEmpty })
            // Encrypted: no name, key or seed in clear.
            #expect(!DatabaseFileTests.contains(scene.archive, Array("garden-club".utf8)))
            #expect(!DatabaseFileTests.contains(scene.archive, tcf.key.exposedBytes))
            #expect(!DatabaseFileTests.contains(scene.archive, tcf.owner.seed.exposedBytes))

            let (opened, key) = try TCFArchive.open(scene.archive, passphrase: Self.passphrase)
            #expect(key == tcf.key)
            #expect(opened.sameRows(as: scene.rows))

            #expect(try scene.restore(scene.archive) == tcf.id)
            #expect(try scene.target.exportTCF(tcf.id).sameRows(as: scene.source.exportTCF(tcf.id)))
            #expect(try scene.target.tcfs() == [tcf.record])
            #expect(try rowCounts(scene.target.directory) == rowCounts(scene.source.directory))

            // The TCF key is now wrapped for the target node, and still opens every sealed key.
            let wrapped = try scene.target.tcfSecrets(tcf.id).wrappedKey
            let restoredKey = try TCFSealing.unwrap(
                wrapped, tcf: tcf.id, under: TCFSealing.wrappingKey(nodeIdentity: scene.targetNode))
            #expect(restoredKey == tcf.key)
            #expect(try wrapped != scene.source.tcfSecrets(tcf.id).wrappedKey)
            for tcc in scene.hosted.tccs {
                let root = try TCFSealing.open(
                    try scene.target.tccSealedKey(tcc.id), publicKey: tcc.id.bytes, tcf: tcf.id, under: restoredKey)
                #expect(root.seed == tcc.key.seed)
                // The logs come over with their hashes and signed checkpoints.
                let verification = try scene.target.verifyAudit(tcc: tcc.id, owner: tcc.key.publicKey)
                #expect(verification.isIntact, "\(verification.problems)")
                #expect(verification.entries == 5 && verification.checkpoints == 3)
                #expect(try scene.target.auditEntries(tcc: tcc.id) == scene.source.auditEntries(tcc: tcc.id))
                #expect(try scene.target.claims(tcc: tcc.id) == scene.source.claims(tcc: tcc.id))
            }
            #expect(try scene.target.tcc(persona: scene.hosted.persona.id) == scene.hosted.tccs[0].record)
            #expect(try scene.target.isRevoked(scene.hosted.revocation.key))
            #expect(try scene.target.claims(tcc: scene.hosted.tccs[0].id).map(\.revoked) == [true])
        }
    }

    /// An archive written before migrations existed has no `location_sequence` in its `tcf`
    /// table: it restores, numbered 0, and no other column may be missing.
    @Test func anArchiveFromBeforeMigrationsRestores() throws {
        try withScene { scene in
            var older = scene.rows
            let table = try #require(older.tables.firstIndex { $0.name == "tcf" })
            let column = try #require(older.tables[table].columns.firstIndex(of: "location_sequence"))
            older.tables[table].columns.remove(at: column)
            older.tables[table].rows = older.tables[table].rows.map { row in
                var row = row
                row.remove(at: column)
                return row
            }
            #expect(try scene.restore(try scene.seal(older)) == scene.hosted.tcf.id)
            #expect(try scene.target.nextLocationSequence(scene.hosted.tcf.id) == 1)
            #expect(try scene.target.exportTCF(scene.hosted.tcf.id).sameRows(as: scene.rows))

            var missing = scene.rows
            let tcc = try #require(missing.tables.firstIndex { $0.name == "tcc" })
            missing.tables[tcc].columns.removeLast()
            missing.tables[tcc].rows = missing.tables[tcc].rows.map { Array($0.dropLast()) }
            let other = ScratchDirectory()
            defer { other.remove() }
            let (store, node) = try other.initialize()
            let (rows, key) = try TCFArchive.open(try scene.seal(missing), passphrase: Self.passphrase)
            #expect(throws: HostingError.self) {
                try store.importTCF(rows, wrappedKey: TCFSealing.wrap(key, tcf: rows.tcf, under: TCFSealing.wrappingKey(nodeIdentity: node)))
            }
        }
    }

    @Test func aWrongPassphraseIsRefused() throws {
        try withScene { scene in
            #expect(
                hostingError { try scene.restore(scene.archive, passphrase: "Correct horse battery staple") }?.code
                    == .badArchive)
            #expect(hostingError { try scene.restore(scene.archive, passphrase: "") }?.code == .badArchive)
            try expectEmpty(scene.target)
        }
    }

    /// Where a byte is changed, and how: each field of the header and the body.
    enum Flip: String, CaseIterable {
        case version, salt, opsHighByte, opsLowByte, memLowByte, memHighByte, nonce, firstCiphertextByte,
            middleCiphertextByte,
            lastByte

        func apply(to bytes: [UInt8]) -> [UInt8] {
            var changed = bytes
            switch self {
            case .version: changed[4] ^= 0x01
            case .salt: changed[TCFArchiveTests.saltOffset + 7] ^= 0x01
            // Limits far out of range: refused before argon2id runs.
            case .opsHighByte: changed[TCFArchiveTests.opsOffset] ^= 0x01
            // ops 1 becomes 3: in range, so a key is derived, and it is the wrong one.
            case .opsLowByte: changed[TCFArchiveTests.opsOffset + 7] ^= 0x02
            // mem 8192 becomes 8193: argon2id rounds to whole KiB and derives the same key, so
            // only the header being authenticated catches this one.
            case .memLowByte: changed[TCFArchiveTests.memOffset + 7] ^= 0x01
            case .memHighByte: changed[TCFArchiveTests.memOffset] ^= 0x01
            case .nonce: changed[TCFArchiveTests.nonceOffset + 3] ^= 0x01
            case .firstCiphertextByte: changed[TCFArchiveTests.headerLength] ^= 0x01
            case .middleCiphertextByte: changed[(TCFArchiveTests.headerLength + bytes.count) / 2] ^= 0x01
            case .lastByte: changed[bytes.count - 1] ^= 0x01
            }
            return changed
        }
    }

    @Test(arguments: Flip.allCases)
    func aFlippedByteIsRefusedAndRestoresNothing(_ flip: Flip) throws {
        try withScene { scene in
            // The offsets above are this archive's.
            #expect(
                Array(scene.archive[TCFArchiveTests.memOffset..<TCFArchiveTests.nonceOffset]) == [
                    0, 0, 0, 0, 0, 0, 0x20, 0,
                ])
            let changed = flip.apply(to: scene.archive)
            #expect(changed != scene.archive)
            #expect(hostingError { try scene.restore(changed) }?.code == .badArchive)
            try expectEmpty(scene.target)
        }
    }

    @Test func aTruncatedArchiveIsRefused() throws {
        try withScene { scene in
            let lengths = [
                0, 3, 4, 5, 20, Self.headerLength - 1, Self.headerLength, Self.headerLength + XChaChaPoly.tagLength - 1,
                scene.archive.count - 1,
            ]
            for length in lengths {
                #expect(
                    hostingError { try scene.restore(Array(scene.archive.prefix(length))) }?.code == .badArchive,
                    "\(length) bytes")
            }
            #expect(hostingError { try scene.restore(scene.archive + [0]) }?.code == .badArchive)
            try expectEmpty(scene.target)
        }
    }

    @Test func aFileThatIsNotAnArchiveIsRefused() throws {
        try withScene { scene in
            var magic = scene.archive
            magic[0] = UInt8(ascii: "X")
            let error = hostingError { try scene.restore(magic) }
            #expect(error?.code == .badArchive)
            #expect(error?.context.contains("OMSA") == true)
            #expect(
                hostingError { try scene.restore(Array("SQLite format 3\0".utf8) + scene.archive) }?.code == .badArchive
            )
            try expectEmpty(scene.target)
        }
    }

    @Test func absurdArgon2LimitsAreRefusedBeforeAnyWork() throws {
        try withScene { scene in
            func withLimits(ops: UInt64, mem: UInt64) -> [UInt8] {
                var bytes = Array(scene.archive[..<Self.opsOffset])
                bytes.appendBigEndian(ops)
                bytes.appendBigEndian(mem)
                return bytes + scene.archive[Self.nonceOffset...]
            }
            #expect(withLimits(ops: 1, mem: 8192) == scene.archive)
            // Libsodium would reject some of these itself, with a crypto error, and run the
            // others (ops 1000 is slow, 1 TiB exhausts memory): the header check must come first.
            for (ops, mem) in [(1000, 8192), (0, 8192), (UInt64.max, 8192), (1, 4096), (1, 1 << 40), (1, UInt64.max)]
                as [(UInt64, UInt64)]
            {
                let clock = ContinuousClock()
                var error: HostingError?
                let elapsed = clock.measure {
                    error = hostingError { try scene.restore(withLimits(ops: ops, mem: mem)) }
                }
                #expect(error?.code == .badArchive, "ops \(ops), mem \(mem)")
                #expect(
                    error?.context.contains("limits") == true, "ops \(ops), mem \(mem): \(String(describing: error))")
                #expect(elapsed < .seconds(1), "ops \(ops), mem \(mem)")
            }
            try expectEmpty(scene.target)
        }
    }

    @Test func theSameTCFRestoredTwiceIsRefusedTheSecondTime() throws {
        try withScene { scene in
            let tcf = try scene.restore(scene.archive)
            let restored = try scene.target.exportTCF(tcf)
            let counts = try rowCounts(scene.target.directory)
            let wrapped = try scene.target.tcfSecrets(tcf).wrappedKey

            #expect(hostingError { try scene.restore(scene.archive) }?.code == .duplicate)
            // Sealed again (fresh salt and nonce), it is still the same TCF.
            #expect(hostingError { try scene.restore(try scene.seal(scene.rows)) }?.code == .duplicate)
            #expect(try scene.target.exportTCF(tcf).sameRows(as: restored))
            #expect(try rowCounts(scene.target.directory) == counts)
            #expect(try scene.target.tcfSecrets(tcf).wrappedKey == wrapped)
        }
    }

    /// Rows changed before sealing: the archive opens (the passphrase is right) but its rows
    /// are not what this node archives.
    enum Tamper: String, CaseIterable {
        case tableRenamed, tableMissing, tableAdded, tablesReordered, columnAdded, columnRenamed, columnsReordered,
            rowCutShort,
            tcfRowForAnotherID

        func apply(to rows: TCFRows) -> TCFRows {
            var changed = rows
            switch self {
            case .tableRenamed: changed.tables[3].name = "peer"
            case .tableMissing: changed.tables.remove(at: 9)
            case .tableAdded:
                var node = changed.tables[0]
                node.name = "node"
                changed.tables.append(node)
            case .tablesReordered: changed.tables.swapAt(1, 2)
            case .columnAdded:
                // An archive that brings its own wrapped key.
                changed.tables[0].columns.append("wrapped_key")
                changed.tables[0].rows = changed.tables[0].rows.map { $0 + [.blob(Data(repeating: 1, count: 72))] }
            case .columnRenamed: changed.tables[1].columns[3] = "label"
            case .columnsReordered: changed.tables[1].columns.swapAt(0, 1)
            case .rowCutShort: changed.tables[2].rows[0].removeLast()
            case .tcfRowForAnotherID: changed.tcf = TCFID(uncheckedBytes: SecureRandom.bytes(32))
            }
            return changed
        }
    }

    @Test(arguments: Tamper.allCases)
    func rowsChangedBeforeSealingAreRefused(_ tamper: Tamper) throws {
        try withScene { scene in
            let changed = tamper.apply(to: scene.rows)
            let archive = try scene.seal(changed)
            // It opens: the check is the store's, on the rows.
            _ = try TCFArchive.open(archive, passphrase: Self.passphrase)
            #expect(hostingError { try scene.restore(archive) }?.code == .badArchive)
            try expectEmpty(scene.target)
        }
    }

    /// Rows that name another TCF already on the target node: restoring them would write into
    /// that TCF (a TCC planted in it, entries in its TCCs' audit logs, revocations in their name).
    enum Trespass: String, CaseIterable {
        case secondTCFRow, tccInTheResidentTCF, personaOfAResidentTCC, claimOfAResidentTCC, auditEntryOfAResidentTCC,
            checkpointOfAResidentTCC, revocationByAResidentTCC, policyOfAResidentTCC

        func apply(to rows: TCFRows, resident: HostedTCF, residentTCC: TCCID) -> TCFRows {
            var changed = rows
            let index = changed.tables.firstIndex { $0.name == table }!
            var row = changed.tables[index].rows[0]
            let columns = changed.tables[index].columns
            func set(_ column: String, _ value: TCFRows.Value) { row[columns.firstIndex(of: column)!] = value }
            let tcc = TCFRows.Value.blob(Data(residentTCC.bytes))
            switch self {
            case .secondTCFRow:
                set("id", .blob(Data(SecureRandom.bytes(32))))
                set("name", .text("planted"))
            case .tccInTheResidentTCF:
                set("id", .blob(Data(SecureRandom.bytes(32))))
                set("tcf", .blob(Data(resident.id.bytes)))
            case .personaOfAResidentTCC:
                set("id", .blob(Data(SecureRandom.bytes(32))))
                set("tcc", tcc)
            case .claimOfAResidentTCC, .checkpointOfAResidentTCC, .policyOfAResidentTCC: set("tcc", tcc)
            case .auditEntryOfAResidentTCC:
                set("tcc", tcc)
                set("sequence", .integer(1000))
            case .revocationByAResidentTCC:
                set("issuer", tcc)
            }
            changed.tables[index].rows.append(row)
            return changed
        }

        var table: String {
            switch self {
            case .secondTCFRow: "tcf"
            case .tccInTheResidentTCF: "tcc"
            case .personaOfAResidentTCC: "persona"
            case .claimOfAResidentTCC: "claim"
            case .auditEntryOfAResidentTCC: "audit_entry"
            case .checkpointOfAResidentTCC: "audit_checkpoint"
            case .revocationByAResidentTCC: "claim_revocation"
            case .policyOfAResidentTCC: "policy"
            }
        }
    }

    @Test(arguments: Trespass.allCases)
    func rowsNamingAnotherTCFOnTheNodeAreRefused(_ trespass: Trespass) throws {
        try withScene { scene in
            let resident = try HostedTCF.insert("resident", into: scene.target, node: scene.targetNode)
            let residentTCC = try resident.insertTCC("bob", into: scene.target)
            try scene.target.appendAudit(
                tcc: residentTCC.id, kind: .keyUse, detail: Array("{}".utf8), at: HostedTCF.date)
            try scene.target.checkpointAudit(tcc: residentTCC.id, key: residentTCC.key, at: HostedTCF.date)
            let before = try scene.target.exportTCF(resident.id)
            let counts = try rowCounts(scene.target.directory)

            let changed = trespass.apply(to: scene.rows, resident: resident, residentTCC: residentTCC.id)
            #expect(hostingError { try scene.restore(try scene.seal(changed)) }?.code == .badArchive)

            #expect(try scene.target.tcf(scene.hosted.tcf.id) == nil)
            #expect(try scene.target.tcfs() == [resident.record])
            #expect(try scene.target.exportTCF(resident.id).sameRows(as: before))
            #expect(try rowCounts(scene.target.directory) == counts)
            let verification = try scene.target.verifyAudit(tcc: residentTCC.id, owner: residentTCC.key.publicKey)
            #expect(verification.isIntact && verification.entries == 1)

            // The untouched archive restores beside the resident TCF.
            try scene.restore(scene.archive)
            #expect(try scene.target.exportTCF(scene.hosted.tcf.id).sameRows(as: scene.rows))
            #expect(try scene.target.exportTCF(resident.id).sameRows(as: before))
        }
    }
}
