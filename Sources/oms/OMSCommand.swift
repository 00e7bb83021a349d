import ArgumentParser
import OMSNode
import OMSStore

@main
struct OMSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oms",
        abstract: "Open Mustard Seed: keep your data at home, share answers, form communities.",
        version: OMSVersion.current,
        subcommands: [
            InitCommand.self, NodeCommand.self, PeerCommand.self, NoteCommand.self, TCFCommand.self, TCCCommand.self,
            PersonaCommand.self, ClaimCommand.self, RevocationCommand.self, AuditCommand.self, RegistryCommand.self,
            SignInCommand.self, DeviceCommand.self, StreamCommand.self, PolicyCommand.self, DataCommand.self, AskCommand.self, ManifestCommand.self,
            CommunityCommand.self,
            InstitutionCommand.self, DiscoverCommand.self,
        ])
}

/// Options every command that touches a node's data directory takes.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The node's data directory (default: $OMS_DATA_DIR or ~/.oms).")
    var path: String = DataDirectory.defaultPath
}

extension DataDirectoryOptions {
    var directory: DataDirectory { DataDirectory(path) }
}
