import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// The migration state machines and the chunk cipher, pure: the TPM's checks are a closure
/// here (OMSTrust's verifier does them in the node; `MigrationIntegrationTests` runs it all
/// against swtpm).
@Suite struct MigrationTests {
    struct World {
        let sourceKey = Ed25519.PrivateKey()
        let destinationKey = Ed25519.PrivateKey()
        let tcf = TCFID(uncheckedBytes: SecureRandom.bytes(32))
        let ak = SecureRandom.bytes(90)
        let transferKey = SecureRandom.bytes(90)
        var source: NodeID { NodeID(publicKey: sourceKey.publicKey) }
        var destination: NodeID { NodeID(publicKey: destinationKey.publicKey) }
        var policy: MigrationPolicy { MigrationPolicy(attestationKeys: [MigrationAttestation.objectName(ak)]) }

        func attestation(for machine: MigrationSource, trust: NodeTrust = .tpm, ak: [UInt8]? = nil, signer: Ed25519.PrivateKey? = nil) -> MigrationAttestation {
            var a = MigrationAttestation(
                migration: machine.migration, trust: trust, attestationKey: ak ?? self.ak, transferKey: transferKey, quote: [1], quoteSignature: [2],
                certification: [3], certificationSignature: [4], pcrs: [:])
            a.sign(nonce: machine.nonce, with: signer ?? destinationKey)
            return a
        }
    }

    static func accept(_: MigrationAttestation, _: [UInt8], _: MigrationPolicy) throws(MigrationError) {}

    @Test func aMigrationRunsFromOfferToErasure() throws {
        let world = World()
        let archive = SecureRandom.bytes(MigrationCipher.chunkSize * 2 + 5)
        var source = try MigrationSource(tcf: world.tcf, source: world.source, destination: world.destination, policy: world.policy, archive: archive)
        #expect(source.chunks == 3)
        var destination = try MigrationDestination(
            migration: source.migration, tcf: world.tcf, source: world.source, nonce: source.nonce, archiveBytes: source.archiveBytes,
            maximumArchiveBytes: 1 << 30)
        var seenQualifyingData: [UInt8] = []
        let transferKey = try source.attested(world.attestation(for: source)) { _, data, _ throws(MigrationError) in seenQualifyingData = data }
        #expect(seenQualifyingData == MigrationAttestation.qualifyingData(migration: source.migration, nonce: source.nonce, transferKey: world.transferKey))
        #expect(source.phase == .transferring)

        let secret = SecureBytes.random(count: 32)
        let ephemeral = [4] + SecureRandom.bytes(64)
        let sending = MigrationCipher(sharedSecret: secret, migration: source.migration, ephemeralKey: ephemeral, transferKey: transferKey, chunks: source.chunks)
        let receiving = MigrationCipher(sharedSecret: secret, migration: source.migration, ephemeralKey: ephemeral, transferKey: transferKey, chunks: source.chunks)
        try destination.checkBegin(ephemeralKey: ephemeral, archiveDigest: source.archiveDigest, archiveBytes: source.archiveBytes, chunks: source.chunks)
        try destination.begin(cipher: receiving, archiveDigest: source.archiveDigest)
        for index in 0..<source.chunks {
            let start = Int(index) * MigrationCipher.chunkSize
            let chunk = Array(archive[start..<min(start + MigrationCipher.chunkSize, archive.count)])
            let sealed = sending.seal(chunk, index: index)
            let held = try destination.chunk(sealed, index: index)
            #expect(try destination.chunk(sealed, index: index) == held, "a resent chunk is acknowledged again")
            try source.acknowledged(held)
        }
        #expect(source.phase == .committing)
        #expect(try destination.complete() == archive)

        var receipt = MigrationReceipt(
            migration: source.migration, tcf: world.tcf, archiveDigest: source.archiveDigest, source: world.source, destination: world.destination,
            trust: .tpm, atMs: 1)
        receipt.sign(with: world.destinationKey)
        try source.receipted(receipt)
        #expect(source.phase == .handedOver)
        do {
            try source.receipted(receipt)
            Issue.record("a receipt taken twice")
        } catch { #expect(error.code == .replayedReceipt) }
        source.located()
        source.erased()
        #expect(source.phase == .erased)
    }

    @Test func anAttestationOutsideThePolicyEndsTheAttemptBeforeAnythingIsSent() throws {
        let world = World()
        func fresh() throws -> MigrationSource {
            try MigrationSource(tcf: world.tcf, source: world.source, destination: world.destination, policy: world.policy, archive: [1, 2, 3])
        }
        let cases: [(String, MigrationError.Code, (MigrationSource) -> MigrationAttestation)] = [
            ("software trust", .untrustedNode, { world.attestation(for: $0, trust: .passphrase) }),
            ("an unknown attestation key", .unknownAttestationKey, { world.attestation(for: $0, ak: SecureRandom.bytes(90)) }),
            ("signed by another node", .badSignature, { world.attestation(for: $0, signer: Ed25519.PrivateKey()) }),
        ]
        for (name, code, make) in cases {
            var source = try fresh()
            do {
                _ = try source.attested(make(source), verifyTPM: Self.accept)
                Issue.record("\(name) accepted")
            } catch {
                #expect(error.code == code, "\(name)")
                #expect(source.phase == .failed && source.transferKey == nil)
            }
        }
        // Another attempt's attestation (its nonce) does not pass for this one.
        var source = try fresh()
        let other = try fresh()
        do {
            _ = try source.attested(world.attestation(for: other), verifyTPM: Self.accept)
            Issue.record("another migration's attestation accepted")
        } catch { #expect(source.phase == .failed) }
        // The TPM's own checks (the verifier's) end it too.
        var checked = try fresh()
        do {
            _ = try checked.attested(world.attestation(for: checked)) { _, _, _ throws(MigrationError) in
                throw MigrationError(.pcrMismatch, "PCR 7")
            }
            Issue.record("a refused quote accepted")
        } catch { #expect(error.code == .pcrMismatch && checked.phase == .failed) }
        #expect(throws: MigrationError.self) {
            try MigrationSource(tcf: world.tcf, source: world.source, destination: world.destination, policy: MigrationPolicy(attestationKeys: []), archive: [1])
        }
    }

    @Test func aTamperedMovedOrForeignChunkDoesNotOpen() throws {
        let migration = MigrationID.random()
        let secret = SecureBytes.random(count: 32)
        let key = SecureRandom.bytes(90)
        let cipher = MigrationCipher(sharedSecret: secret, migration: migration, ephemeralKey: [4], transferKey: key, chunks: 2)
        let sealed = cipher.seal([1, 2, 3], index: 0)
        #expect(try cipher.open(sealed, index: 0) == [1, 2, 3])
        var tampered = sealed
        tampered[0] ^= 1
        #expect(throws: MigrationError.self) { try cipher.open(tampered, index: 0) }
        #expect(throws: MigrationError.self) { try cipher.open(sealed, index: 1) }
        let other = MigrationCipher(sharedSecret: secret, migration: .random(), ephemeralKey: [4], transferKey: key, chunks: 2)
        #expect(throws: MigrationError.self) { try other.open(sealed, index: 0) }
        let otherCount = MigrationCipher(sharedSecret: secret, migration: migration, ephemeralKey: [4], transferKey: key, chunks: 3)
        #expect(throws: MigrationError.self) { try otherCount.open(sealed, index: 0) }
    }

    @Test func theDestinationTakesChunksInOrderAndTheArchiveOnlyWhole() throws {
        let source = NodeID(publicKey: Ed25519.PrivateKey().publicKey)
        let archive = SecureRandom.bytes(MigrationCipher.chunkSize + 1)
        let migration = MigrationID.random()
        var destination = try MigrationDestination(
            migration: migration, tcf: TCFID(uncheckedBytes: SecureRandom.bytes(32)), source: source, nonce: SecureRandom.bytes(32),
            archiveBytes: UInt64(archive.count), maximumArchiveBytes: 1 << 30)
        let cipher = MigrationCipher(sharedSecret: .random(count: 32), migration: migration, ephemeralKey: [4], transferKey: [], chunks: 2)
        #expect(throws: MigrationError.self) { try destination.complete() }
        try destination.begin(cipher: cipher, archiveDigest: SecureRandom.bytes(32))
        let second = cipher.seal(Array(archive[MigrationCipher.chunkSize...]), index: 1)
        do {
            _ = try destination.chunk(second, index: 2)
            Issue.record("a chunk past the last taken")
        } catch { #expect(error.code == .outOfOrder) }
        _ = try destination.chunk(cipher.seal(Array(archive[..<MigrationCipher.chunkSize]), index: 0), index: 0)
        _ = try destination.chunk(second, index: 1)
        do {
            _ = try destination.complete()
            Issue.record("an archive with another digest released")
        } catch { #expect(error.code == .badChunk && destination.phase == .failed) }
        #expect(throws: MigrationError.self) {
            try MigrationDestination(
                migration: migration, tcf: TCFID(uncheckedBytes: SecureRandom.bytes(32)), source: source, nonce: SecureRandom.bytes(32),
                archiveBytes: 2 << 30, maximumArchiveBytes: 1 << 30)
        }
    }

    @Test func chunksThatOvertakeOneAnotherWaitForTheirTurn() throws {
        let source = NodeID(publicKey: Ed25519.PrivateKey().publicKey)
        let size = MigrationCipher.chunkSize
        let archive = SecureRandom.bytes(size * 3 + 7)
        let migration = MigrationID.random()
        var destination = try MigrationDestination(
            migration: migration, tcf: TCFID(uncheckedBytes: SecureRandom.bytes(32)), source: source, nonce: SecureRandom.bytes(32),
            archiveBytes: UInt64(archive.count), maximumArchiveBytes: 1 << 30)
        let cipher = MigrationCipher(sharedSecret: .random(count: 32), migration: migration, ephemeralKey: [4], transferKey: [], chunks: 4)
        try destination.begin(cipher: cipher, archiveDigest: BLAKE2b.hash(archive, outputLength: 32))
        func sealed(_ index: Int) -> [UInt8] { cipher.seal(Array(archive[index * size..<min((index + 1) * size, archive.count)]), index: UInt32(index)) }
        #expect(try destination.chunk(sealed(2), index: 2) == 0)
        #expect(try destination.chunk(sealed(1), index: 1) == 0)
        #expect(try destination.chunk(sealed(0), index: 0) == 3, "0 opens, then 1 and 2 that waited")
        #expect(try destination.chunk(sealed(1), index: 1) == 3, "one held is acknowledged again")
        #expect(throws: MigrationError.self) { try destination.chunk(sealed(0), index: 3 + MigrationDestination.window) }
        #expect(try destination.chunk(sealed(3), index: 3) == 4)
        #expect(try destination.complete() == archive)
    }

    @Test func framesRoundTripAndOversizedFieldsAreRefused() throws {
        let world = World()
        let source = try MigrationSource(tcf: world.tcf, source: world.source, destination: world.destination, policy: world.policy, archive: [1])
        var attestation = world.attestation(for: source)
        attestation.pcrs = [7: SHA256.hash([1])]
        let frame = MigrationWire.attestation(attestation)
        #expect(try MigrationWire.attestation(of: frame.migrationAttestation) == attestation)
        var big = frame.migrationAttestation
        big.quote = .init(repeating: 0, count: 4096)
        #expect(throws: MigrationError.self) { try MigrationWire.attestation(of: big) }
        var badPCR = frame.migrationAttestation
        badPCR.pcrs[0].index = 24
        #expect(throws: MigrationError.self) { try MigrationWire.attestation(of: badPCR) }
        var receipt = MigrationReceipt(
            migration: source.migration, tcf: world.tcf, archiveDigest: source.archiveDigest, source: world.source, destination: world.destination,
            trust: .tpm, atMs: 9)
        receipt.sign(with: world.destinationKey)
        #expect(try MigrationWire.receipt(of: MigrationWire.receipt(receipt).migrationReceipt) == receipt)
        var short = MigrationWire.receipt(receipt).migrationReceipt
        short.archiveDigest = short.archiveDigest.prefix(31)
        #expect(throws: MigrationError.self) { try MigrationWire.receipt(of: short) }
    }
}
