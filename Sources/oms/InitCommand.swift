import ArgumentParser
import Foundation
import OMSCrypto
import OMSProtocol
import OMSStore
import OMSTrust

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a node: a data directory with a new identity key.")

    @OptionGroup var dataDir: DataDirectoryOptions

    @Option(help: "The network to join: nodes of different networks never talk.")
    var network: String = NetworkID.main.rawValue

    @Option(help: "Read the passphrase protecting the identity key from this file's first line.")
    var passphraseFile: String?

    @Flag(help: "Protect the identity key with a random key file (mode 0600) instead of a passphrase.")
    var noPassphrase = false

    @Option(help: ArgumentHelp(
        "Seal the node's master key with the TPM at this tss2 TCTI (device:/dev/tpmrm0, swtpm:host=H,port=P); also $OMS_TPM.",
        valueName: "tcti"))
    var tpm: String?

    func run() async throws {
        let network: NetworkID
        do {
            network = try NetworkID(self.network)
        } catch {
            throw ValidationError(error.description)
        }
        let tcti = tpm ?? ProcessInfo.processInfo.environment["OMS_TPM"]
        if let tcti {
            guard !noPassphrase, passphraseFile == nil else {
                throw ValidationError("--tpm seals the key with the TPM: give no passphrase and no --no-passphrase with it")
            }
            // A random master key, sealed by the TPM: what unlocks the identity, and through it
            // every TCF key, only on this machine.
            let device = try TPM(tcti: tcti)
            let master = SecureBytes.random(count: 32)
            let sealed = try device.seal(master)
            let (store, _) = try NodeStore.initialize(
                directory: dataDir.directory, network: network, passphrase: nil,
                tpm: (TPMSealedKey(tcti: tcti, publicArea: sealed.publicArea.bytes, privateBlob: sealed.privateBlob), master))
            report(store, network: network, key: "sealed by the TPM at \(tcti)")
            return
        }
        let passphrase: String?
        if noPassphrase {
            passphrase = nil
        } else {
            guard let given = try Passphrase.read(file: passphraseFile, confirm: true) else {
                throw ValidationError(
                    "choose how to protect the identity key: --passphrase-file FILE, $OMS_PASSPHRASE, or --no-passphrase")
            }
            guard !given.isEmpty else { throw ValidationError("an empty passphrase protects nothing; use --no-passphrase instead") }
            passphrase = given
        }
        let (store, _) = try NodeStore.initialize(directory: dataDir.directory, network: network, passphrase: passphrase)
        report(store, network: network, key: passphrase == nil ? "key file \(dataDir.directory.keyFile.path)" : "passphrase (argon2id)")
    }

    private func report(_ store: NodeStore, network: NetworkID, key: String) {
        print("initialised node \((try? store.publicIdentity())?.description ?? "?")")
        print("  network     \(network)")
        print("  data dir    \(dataDir.directory.path)")
        print("  key         \(key)")
        print("  trust       \((try? store.identityProtection())?.trust.description ?? "?")")
        print("start it with: oms node run --data-dir \(dataDir.directory.path)")
    }
}
