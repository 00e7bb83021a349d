import ArgumentParser
import Foundation
import OMSCore
import OMSCrypto

struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest", abstract: "Community manifests (protocol-spec §14): check one before anyone signs it.",
        subcommands: [Lint.self])

    struct Lint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a manifest: every problem with its path and line; exit 1 if there is any. Needs no node.")
        @Argument(help: "The manifest's YAML file ('-' for standard input).") var file: String
        @Flag(help: "Also print the manifest's hash (what members sign when they opt in).") var hash = false

        func run() async throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try readFile(file)
            guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(file) is not UTF-8 text") }
            let problems = Manifest.lint(text)
            if problems.isEmpty {
                print("\(file): a valid manifest")
                if hash { print("hash: \(Manifest.hash(Array(data)).hex)") }
                return
            }
            for problem in problems { print("\(file):\(problem.line.map { "\($0):" } ?? "") \(problem.path.isEmpty ? "" : problem.path + ": ")\(problem.message)") }
            print("\(problems.count) problem\(problems.count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}
