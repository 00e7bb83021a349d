import ArgumentParser
import OMSProtocol
import OMSStore

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

    func run() async throws {
        let network: NetworkID
        do {
            network = try NetworkID(self.network)
        } catch {
            throw ValidationError(error.description)
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
        print("initialised node \(try store.publicIdentity())")
        print("  network     \(network)")
        print("  data dir    \(dataDir.directory.path)")
        print("  key         \(passphrase == nil ? "key file \(dataDir.directory.keyFile.path)" : "passphrase (argon2id)")")
        print("start it with: oms node run --data-dir \(dataDir.directory.path)")
    }
}
