import ArgumentParser
import Foundation
import OMSAPI
import OMSCore
import OMSNode

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Take everything a TCC holds away as JSON lines, or read it back into a fresh TCC.",
        subcommands: [Export.self, Import.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the TCC's records, streams, policies (every version), claims and audit log as JSON lines (protocol-spec §12).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Option(help: "The file to write (mode 0600); '-' for standard output.") var out: String

        func run() async throws {
            let reply = try await dataDir.client().send(.GET, apiPath("tccs", tcc.tcc, "export"))
            // The body streams: a node that failed half-way has sent no end line, or one that
            // does not count what came.
            let lines = reply.body.split(separator: 0x0a)
            let records = lines.filter(ExportLine.isRecord).count
            guard let last = lines.last, let end = try? ExportLine.Meta.decode(last), end.kind == .end, end.records == records else {
                throw ValidationError("the export is incomplete (\(lines.count) lines, no matching end line); nothing was written")
            }
            if out == "-" {
                FileHandle.standardOutput.write(Data(reply.body))
                return
            }
            try writePrivateFile(reply.body, to: out)
            print("exported \(records) records in \(lines.count) lines (\(reply.body.count) bytes) to \(out)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read an export into a TCC that holds no records or policies yet.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The export file.") var file: String

        func run() async throws {
            let body = Array(try readFile(file))
            let reply = try await dataDir.client().send(.POST, apiPath("tccs", tcc.tcc, "import"), body: body, contentType: "application/x-ndjson")
            let report = try JSONDecoder.api.decode(ImportReport.self, from: Data(reply.body))
            print("imported \(report.records) records, \(report.streams) declared streams, \(report.policies) policy versions, \(report.claims) claims")
        }
    }
}
