import ArgumentParser
import Foundation
import OMSAPI
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

struct TCFCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcf", abstract: "Trusted Compute Frameworks: the portable containers this node hosts.",
        subcommands: [Create.self, List.self, Show.self, Stop.self, Start.self, Archive.self, Restore.self, Migrate.self, Locate.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a TCF with its own owner key.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "A name: letters, digits and . _ -") var name: String

        func run() async throws {
            let tcf: TCFRecord = try await dataDir.client().send(.POST, apiPath("tcfs"), json: CreateTCFRequest(name: name))
            print("created TCF \(tcf.name) \(tcf.id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the TCFs on this node.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tcfs: [TCFRecord] = try await dataDir.client().get(apiPath("tcfs"))
            if json { return try printJSON(tcfs) }
            if tcfs.isEmpty { print("no TCFs yet; make one with 'oms tcf create NAME'") }
            for tcf in tcfs { print(column(tcf.name.rawValue, 16) + column(tcf.state.rawValue, 9) + tcf.id.description) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one TCF.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The TCF's id or name.") var tcf: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let detail: TCFDetail = try await dataDir.client().get(apiPath("tcfs", tcf))
            if json { return try printJSON(detail) }
            print("TCF \(detail.tcf.name)")
            print("  id          \(detail.tcf.id)")
            print("  owner key   \(Array(detail.tcf.ownerKey).hex)")
            print("  state       \(detail.tcf.state)")
            print("  TCCs        \(detail.tccCount)")
            print("  created     \(detail.tcf.createdAt.formatted(.iso8601))")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a TCF's keys: it keeps its data and answers nothing.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The TCF's id or name.") var tcf: String

        func run() async throws {
            let record: TCFRecord = try await dataDir.client().send(.POST, apiPath("tcfs", tcf, "stop"), json: [String: String]())
            print("TCF \(record.name) is \(record.state)")
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a stopped TCF's keys again.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The TCF's id or name.") var tcf: String

        func run() async throws {
            let record: TCFRecord = try await dataDir.client().send(.POST, apiPath("tcfs", tcf, "start"), json: [String: String]())
            print("TCF \(record.name) is \(record.state)")
        }
    }

    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole TCF to one file, encrypted under a passphrase (argon2id, XChaCha20-Poly1305).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The TCF's id or name.") var tcf: String
        @Option(help: "Where to write the archive (mode 0600).") var out: String
        @Option(help: "Read the archive passphrase from this file's first line (else $OMS_ARCHIVE_PASSPHRASE or a prompt).")
        var passphraseFile: String?
        @Flag(help: "Remove the TCF from this node once the archive is written.") var remove = false

        func run() async throws {
            guard let passphrase = try Passphrase.read(file: passphraseFile, confirm: true, environment: "OMS_ARCHIVE_PASSPHRASE"),
                !passphrase.isEmpty
            else { throw ValidationError("an archive needs a passphrase: --passphrase-file FILE or $OMS_ARCHIVE_PASSPHRASE") }
            let client = try dataDir.client()
            let reply = try await client.send(
                .POST, apiPath("tcfs", tcf, "archive"), body: Array(try JSONEncoder.api.encode(ArchiveRequest(passphrase: passphrase))))
            try writePrivateFile(reply.body, to: out)
            if remove {
                // Only once the file on disk reads back and opens: removal must never come
                // before a good copy exists.
                _ = try TCFArchive.open(Array(try readFile(out)), passphrase: passphrase)
                _ = try await client.send(.DELETE, apiPath("tcfs", tcf))
            }
            print("archived \(tcf) to \(out) (\(reply.body.count) bytes)\(remove ? "; removed it from this node" : "")")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restore a TCF from an archive file.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The archive file.") var file: String
        @Option(help: "Read the archive passphrase from this file's first line (else $OMS_ARCHIVE_PASSPHRASE or a prompt).")
        var passphraseFile: String?

        func run() async throws {
            let archive = try readFile(file)
            guard let passphrase = try Passphrase.read(file: passphraseFile, confirm: false, environment: "OMS_ARCHIVE_PASSPHRASE") else {
                throw ValidationError("the archive's passphrase: --passphrase-file FILE or $OMS_ARCHIVE_PASSPHRASE")
            }
            let record: TCFRecord = try await dataDir.client().send(
                .POST, apiPath("tcf-archives"), json: RestoreRequest(passphrase: passphrase, archive: archive))
            print("restored TCF \(record.name) \(record.id)")
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a TCF to another node, which first proves with its TPM what it is (protocol-spec §18).",
            discussion: """
                The destination must be connected (oms peer add) and have a TPM. Run 'oms node attestation' there for its \
                attestation key and PCR values, and name them here: the TCF travels only to a TPM you allow, booted as you \
                expect. On success the TCF runs there and this node erases its copy; on failure it runs here again.
                """)
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The TCF's id or name.") var tcf: String
        @Option(help: ArgumentHelp("The destination node's id (node1...).", valueName: "node")) var to: String
        @Option(name: .customLong("allow-ak"), help: ArgumentHelp("An attestation key name (hex) the destination may have; repeatable.", valueName: "hex"))
        var allowAK: [String] = []
        @Option(name: .customLong("pcr"), help: ArgumentHelp("A PCR value the destination's TPM must quote: INDEX=HEX; repeatable.", valueName: "index=hex"))
        var pcrs: [String] = []
        @Flag(help: "Print JSON progress lines.") var json = false

        func run() async throws {
            let destination: NodeID
            do { destination = try NodeID(parsing: to) } catch { throw ValidationError("--to: \(error.description)") }
            guard !allowAK.isEmpty else {
                throw ValidationError("--allow-ak: name the destination's attestation key (run 'oms node attestation' there)")
            }
            var expected: [String: String] = [:]
            for pcr in pcrs {
                let parts = pcr.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let index = Int(parts[0]), (0...23).contains(index) else {
                    throw ValidationError("--pcr takes INDEX=HEX with INDEX 0 to 23, e.g. 7=3d45...")
                }
                expected[String(index)] = parts[1]
            }
            let client = try dataDir.client()
            let started = ContinuousClock.now
            var progress: MigrationProgress = try await client.send(
                .POST, apiPath("tcfs", tcf, "migrations"), json: MigrateRequest(to: destination, allowAttestationKeys: allowAK, pcrs: expected))
            var shown = ""
            while true {
                let line =
                    "\(progress.phase.rawValue)  \(progress.chunksAcknowledged)/\(progress.chunks) chunks  "
                    + "\(progress.archiveBytes) bytes"
                if line != shown {
                    if json { try printJSON(progress) } else { print("migration \(progress.migration)  \(line)") }
                    shown = line
                }
                if progress.phase == .erased || progress.phase == .failed || progress.failure != nil { break }
                try await Task.sleep(for: .milliseconds(100))
                progress = try await client.get(apiPath("migrations", progress.migration.description))
            }
            if progress.phase == .failed {
                print("migration failed; the TCF runs here again: \(progress.failure ?? "no reason given")")
                throw ExitCode(1)
            }
            if let failure = progress.failure, progress.phase != .erased {
                print("migration not finished (\(progress.phase.rawValue)): \(failure); the node goes on with it (oms tcf migrate shows nothing more; see GET /v1/migrations)")
                throw ExitCode(1)
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("TCF moved to \(progress.destination) in \(String(format: "%.1f", seconds)) s; this node's copy is erased")
        }
    }

    struct Locate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where a TCF lives now, by its owner-signed location record (gossiped).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The TCF's id (tcf1...).") var tcf: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let location: LocationResponse = try await dataDir.client().get(apiPath("tcfs", tcf, "location"))
            if json { return try printJSON(location) }
            print("TCF \(location.tcf)")
            print("  at node     \(location.node)")
            print("  sequence    \(location.sequence)")
            print("  since       \(Date(timeIntervalSince1970: Double(location.atUnixMs) / 1000).formatted(.iso8601))")
            print("  migration   \(location.migration)")
            print("  signed by   \(location.owner) (the TCF's owner key)")
        }
    }
}
