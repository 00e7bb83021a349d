import Foundation
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// Unlocking the identity key with a key file or a passphrase, and the refusals.
@Suite struct IdentityUnlockTests {
    @Test func keyFileUnlocksAndFilesAreOwnerOnly() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, identity) = try scratch.initialize()
        #expect(try store.identityProtection() == .keyFile)
        let unlocked = try store.unlockIdentity(.keyFile)
        #expect(unlocked.publicKey == identity.publicKey)
        #expect(unlocked.seed == identity.seed)
        #expect(try permissions(of: scratch.data.keyFile) == 0o600)
        #expect(try permissions(of: scratch.data.url) == 0o700)
        #expect(try Data(contentsOf: scratch.data.keyFile).count == 32)
    }

    @Test func rightPassphraseUnlocks() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, identity) = try scratch.initialize(passphrase: "correct horse battery staple")
        guard case .passphrase(let salt, let parameters) = try store.identityProtection() else {
            Issue.record("expected passphrase protection")
            return
        }
        #expect(salt.count == Argon2id.saltLength)
        #expect(parameters == ScratchDirectory.fastArgon2)
        #expect(!FileManager.default.fileExists(atPath: scratch.data.keyFile.path))

        let reopened = try NodeStore(directory: scratch.data)
        let unlocked = try reopened.unlockIdentity(.passphrase("correct horse battery staple"))
        #expect(unlocked.publicKey == identity.publicKey)
        #expect(try reopened.publicIdentity() == NodeID(publicKey: identity.publicKey))
    }

    @Test func wrongPassphraseIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize(passphrase: "correct horse battery staple")
        #expect(
            storeError { try store.unlockIdentity(.passphrase("correct horse battery stapler")) }?.code
                == .wrongPassphrase)
        #expect(storeError { try store.unlockIdentity(.passphrase("")) }?.code == .wrongPassphrase)
    }

    @Test func keyFileUnlockOfPassphraseNodeAsksForThePassphrase() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize(passphrase: "secret")
        #expect(storeError { try store.unlockIdentity(.keyFile) }?.code == .passphraseRequired)
    }

    @Test func keyFileReadableByOthersIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: scratch.data.keyFile.path)
        let error = storeError { try store.unlockIdentity(.keyFile) }
        #expect(error?.code == .badKeyFile)
        #expect(error?.context.contains("chmod") == true)

        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: scratch.data.keyFile.path)
        #expect(throws: Never.self) { try store.unlockIdentity(.keyFile) }
    }

    @Test func replacedKeyFileIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        try FileManager.default.removeItem(at: scratch.data.keyFile)
        let created = FileManager.default.createFile(
            atPath: scratch.data.keyFile.path, contents: Data(SecureRandom.bytes(32)),
            attributes: [.posixPermissions: 0o600])
        try #require(created)
        try #require(try permissions(of: scratch.data.keyFile) == 0o600)
        #expect(storeError { try store.unlockIdentity(.keyFile) }?.code == .badKeyFile)
    }

    @Test func missingOrWrongSizeKeyFileIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        try FileManager.default.removeItem(at: scratch.data.keyFile)
        #expect(storeError { try store.unlockIdentity(.keyFile) }?.code == .badKeyFile)

        let created = FileManager.default.createFile(
            atPath: scratch.data.keyFile.path, contents: Data(SecureRandom.bytes(31)),
            attributes: [.posixPermissions: 0o600])
        try #require(created)
        #expect(storeError { try store.unlockIdentity(.keyFile) }?.code == .badKeyFile)
    }
}

/// The key file is read as the file it is, not through a link someone planted.
@Suite struct KeyFileLinkTests {
    @Test func aSymbolicLinkInPlaceOfTheKeyFileIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (store, _) = try scratch.initialize()
        let moved = scratch.root.appendingPathComponent("elsewhere.key")
        try FileManager.default.moveItem(at: scratch.data.keyFile, to: moved)
        try FileManager.default.createSymbolicLink(at: scratch.data.keyFile, withDestinationURL: moved)
        let error = storeError { try store.unlockIdentity(.keyFile) }
        #expect(error?.code == .badKeyFile)
        #expect(error?.context.contains("symbolic link") == true)
    }
}

/// An identity under a TPM-sealed master key, at the store's seam: the master key the TPM
/// unseals opens it, anything else is refused by name (the TPM itself is tested in OMSTrust and
/// end to end in `TPMIdentityTests`).
@Suite struct MasterKeyUnlockTests {
    @Test func theMasterKeyOpensTheIdentityAndNothingElseDoes() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let master = SecureBytes.random(count: 32)
        let sealed = TPMSealedKey(tcti: "swtpm:host=127.0.0.1,port=2321", publicArea: [1, 2, 3], privateBlob: [4, 5, 6])
        let (store, identity) = try NodeStore.initialize(
            directory: scratch.data, network: ScratchDirectory.testNetwork, passphrase: nil, tpm: (sealed, master))
        #expect(try store.identityProtection() == .tpm(sealed), "the sealed object is stored as the TPM let it out")
        #expect(try store.identityProtection().trust == .tpm)
        #expect(!FileManager.default.fileExists(atPath: scratch.data.keyFile.path))
        let reopened = try NodeStore(directory: scratch.data)
        #expect(try reopened.unlockIdentity(.masterKey(master)).seed == identity.seed)
        #expect(storeError { try reopened.unlockIdentity(.masterKey(SecureBytes.random(count: 32))) }?.code == .badMasterKey)
        #expect(storeError { try reopened.unlockIdentity(.masterKey(SecureBytes.random(count: 16))) }?.code == .badMasterKey)
        #expect(storeError { try reopened.unlockIdentity(.keyFile) }?.code == .tpmRequired)
        #expect(storeError { try reopened.unlockIdentity(.passphrase("x")) }?.code == .tpmRequired)
    }
}
