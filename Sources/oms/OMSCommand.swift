import ArgumentParser

@main
struct OMSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oms",
        abstract: "Open Mustard Seed: keep your data at home, share answers, form communities.",
        version: "0.1.0",
        subcommands: [InitCommand.self, NodeCommand.self, PeerCommand.self, NoteCommand.self])
}

/// Options every command that touches a node's data directory takes.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The node's data directory (default: $OMS_DATA_DIR or ~/.oms).")
    var path: String = DataDirectoryOptions.defaultPath

    static var defaultPath: String {
        ProcessInfo.processInfo.environment["OMS_DATA_DIR"] ?? "~/.oms"
    }
}

import Foundation
import OMSStore

extension DataDirectoryOptions {
    var directory: DataDirectory { DataDirectory(path) }
}
