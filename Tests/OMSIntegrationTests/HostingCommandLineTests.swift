import Foundation
import GRDB
import Testing

extension IntegrationTests {
    /// `oms tcf|tcc|persona|claim|audit|registry` as an owner types them, against a node started
    /// from the command line: the CLI finds the API through the data directory and its token.
    @Suite(.timeLimit(.minutes(1))) struct HostingCommandLineTests {
        typealias CLI = CommandLineTests

        @Test func theHostingCommandsDriveARunningNode() async throws {
            let dir = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let data = dir.appendingPathComponent("n").path
            #expect(try CLI.run(["init", "--data-dir", data, "--no-passphrase"]).status == 0)

            let offline = try CLI.run(["tcf", "list", "--data-dir", data])
            #expect(offline.status != 0 && offline.output.contains("no node is running"), "\(offline.output)")

            let node = Process()
            node.executableURL = CLI.oms
            node.arguments = ["node", "run", "--data-dir", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"]
            node.standardError = FileHandle.nullDevice
            node.standardOutput = FileHandle.nullDevice
            try node.run()
            defer { if node.isRunning { node.terminate() } }
            let apiFile = URL(fileURLWithPath: data).appendingPathComponent("api.addr")
            try await NodeHarness.eventually("api.addr written") { FileManager.default.fileExists(atPath: apiFile.path) }

            func oms(_ arguments: String...) throws -> CLI.Result { try CLI.run(arguments + ["--data-dir", data]) }

            // A second node asking for the same API address is told which option to change.
            let other = dir.appendingPathComponent("other").path
            #expect(try CLI.run(["init", "--data-dir", other, "--no-passphrase"]).status == 0)
            let apiAddress = try String(contentsOf: apiFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let clash = try CLI.run(["node", "run", "--data-dir", other, "--listen", "127.0.0.1:0", "--api", apiAddress])
            #expect(clash.status != 0 && clash.output.contains("already in use: pick another with --api"), "\(clash.output)")
            #expect(try oms("tcf", "create", "home").output.contains("created TCF home"))
            let badName = try oms("tcf", "create", "no spaces please")
            #expect(badName.status != 0 && badName.output.contains("not a name"), "\(badName.output)")
            #expect(try oms("tcc", "create", "alice", "--tcf", "home").status == 0)
            let wrongKind = try oms("tcc", "create", "x", "--tcf", "home", "--kind", "club")
            #expect(wrongKind.status != 0 && wrongKind.output.contains("private, community or institution"))
            #expect(try oms("persona", "create", "garden", "--tcc", "alice").status == 0)
            #expect(try oms("persona", "create", "shop", "--tcc", "alice").status == 0)
            let personas = try oms("persona", "list", "--tcc", "alice")
            #expect(personas.output.contains("garden") && personas.output.contains("shop"))

            let claimFile = dir.appendingPathComponent("c.claim").path
            let issued = try oms("claim", "issue", "--tcc", "alice", "--subject", try personaID(personas.output, "shop"), "--type", "friend",
                "--value", "yes", "--valid-for", "1d", "--out", claimFile)
            #expect(issued.status == 0, "\(issued.output)")
            let verified = try oms("claim", "verify", claimFile)
            #expect(verified.status == 0 && verified.output.contains("valid claim"), "\(verified.output)")
            var forged = try Data(contentsOf: URL(fileURLWithPath: claimFile))
            forged[forged.count - 20] ^= 1
            try forged.write(to: URL(fileURLWithPath: claimFile))
            let refused = try oms("claim", "verify", claimFile)
            #expect(refused.status == 1 && refused.output.contains("INVALID"), "\(refused.output)")

            let intact = try oms("audit", "verify", "--tcc", "alice")
            #expect(intact.status == 0 && intact.output.contains("intact"), "\(intact.output)")
            let shown = try oms("audit", "show", "--tcc", "alice", "--kind", "key.use")
            #expect(shown.output.contains("persona.create") && shown.output.contains("claim.issue"))

            // Someone with the disk deletes an entry in the middle of the log.
            let database = try DatabaseQueue(path: URL(fileURLWithPath: data).appendingPathComponent("node.sqlite").path)
            try await database.write { db in try db.execute(sql: "DELETE FROM audit_entry WHERE sequence = 2") }
            try database.close()
            let tampered = try oms("audit", "verify", "--tcc", "alice")
            #expect(tampered.status == 1 && tampered.output.contains("TAMPERED") && tampered.output.contains("removed"), "\(tampered.output)")

            // A read-only token cannot change anything, and the CLI says why.
            let tokenFile = URL(fileURLWithPath: data).appendingPathComponent("owner.token")
            try FileManager.default.removeItem(at: tokenFile)
            try FileManager.default.copyItem(at: URL(fileURLWithPath: data).appendingPathComponent("read.token"), to: tokenFile)
            let readOnly = try oms("tcf", "create", "other")
            #expect(readOnly.status != 0 && readOnly.output.contains("forbidden"), "\(readOnly.output)")
            #expect(try oms("tcf", "list").output.contains("home"), "looking still works")
            let metrics = try oms("node", "metrics").output
            #expect(metrics.contains("hb_requests") && metrics.contains("/v1/tcfs"), "API requests are counted per route")
        }

        /// The persona id printed beside `context` in `oms persona list`.
        func personaID(_ listing: String, _ context: String) throws -> String {
            let line = try #require(listing.split(separator: "\n").first { $0.hasPrefix(context + " ") })
            return String(try #require(line.split(separator: " ").last))
        }
    }
}
