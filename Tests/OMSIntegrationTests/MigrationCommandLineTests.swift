import Foundation
import OMSTestKit
import Testing

extension IntegrationTests {
    /// `oms tcf migrate` as an owner types it, between two nodes started from the command line,
    /// each with its key sealed by its own swtpm: a policy the destination does not meet is
    /// refused with its reason and exit status 1; the right one moves the TCF, with progress, and
    /// the source's copy is gone.
    @Suite(.timeLimit(.minutes(1))) struct MigrationCommandLineTests {
        typealias CLI = CommandLineTests

        struct RunningNode: @unchecked Sendable {
            let data: String
            let process: Process
            let swtpm: SoftwareTPM
        }

        static func start(_ data: String, network: String, accept: Bool = true) async throws -> RunningNode {
            let swtpm = try SoftwareTPM()
            let initialised = try CLI.run(["init", "--data-dir", data, "--tpm", swtpm.tcti, "--network", network], environment: ["TSS2_LOG": "all+none"])
            try #require(initialised.status == 0, "\(initialised.output)")
            let process = Process()
            process.executableURL = CLI.oms
            process.arguments = ["node", "run", "--data-dir", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"] + (accept ? ["--accept-migrations"] : [])
            process.environment = ProcessInfo.processInfo.environment.merging(["TSS2_LOG": "all+none"]) { $1 }
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let listen = URL(fileURLWithPath: data).appendingPathComponent("listen.addr")
            let api = URL(fileURLWithPath: data).appendingPathComponent("api.addr")
            try await NodeHarness.eventually("\(data) running") {
                FileManager.default.fileExists(atPath: listen.path) && FileManager.default.fileExists(atPath: api.path)
            }
            return RunningNode(data: data, process: process, swtpm: swtpm)
        }

        @Test func aTCFMigratesFromTheCommandLine() async throws {
            let dir = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let a = try await Self.start(dir.appendingPathComponent("a").path, network: "cli-move")
            let b = try await Self.start(dir.appendingPathComponent("b").path, network: "cli-move")
            defer {
                for node in [a, b] {
                    if node.process.isRunning { node.process.terminate() }
                    node.process.waitUntilExit()
                    node.swtpm.stop()
                }
            }
            @Sendable func oms(_ node: RunningNode, _ arguments: String...) throws -> CLI.Result { try CLI.run(arguments + ["--data-dir", node.data]) }

            let address = try String(contentsOfFile: b.data + "/listen.addr", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try oms(a, "peer", "add", address).status == 0)
            #expect(try oms(a, "tcf", "create", "home").status == 0)
            #expect(try oms(a, "tcc", "create", "alice", "--tcf", "home").status == 0)
            let destination = try oms(b, "node", "id").output.trimmingCharacters(in: .whitespacesAndNewlines)
            try await NodeHarness.eventually("a connected to b") { try oms(a, "node", "status", "--json").output.contains(destination) }

            let attestation = try oms(b, "node", "attestation", "--pcrs", "7", "--json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(attestation.output.utf8)) as? [String: Any], "\(attestation.output)")
            let ak = try #require(json["attestationKey"] as? String)
            let pcr7 = try #require((json["pcrs"] as? [String: String])?["7"])
            #expect(json["trust"] as? String == "tpm")

            let refused = try oms(a, "tcf", "migrate", "home", "--to", destination, "--allow-ak", ak, "--pcr", "7=" + String(repeating: "ab", count: 32))
            #expect(refused.status == 1 && refused.output.contains("pcrMismatch") && refused.output.contains("PCR 7"), "\(refused.output)")
            #expect(try oms(a, "tcf", "list").output.contains("home"), "still on the source after a refusal")

            let moved = try oms(a, "tcf", "migrate", "home", "--to", destination, "--allow-ak", ak, "--pcr", "7=" + pcr7)
            #expect(moved.status == 0, "\(moved.output)")
            #expect(moved.output.contains("erased") && moved.output.contains("TCF moved to \(destination)"), "\(moved.output)")
            #expect(!(try oms(a, "tcf", "list").output.contains("home")))
            #expect(try oms(b, "tcf", "list").output.contains("home"))
            #expect(try oms(b, "tcc", "show", "alice").status == 0)
            let tcf = try oms(b, "tcf", "show", "home", "--json").output
            let id = try #require((try JSONSerialization.jsonObject(with: Data(tcf.utf8)) as? [String: Any]).flatMap { ($0["tcf"] as? [String: Any])?["id"] as? String })
            let located = try oms(a, "tcf", "locate", id)
            #expect(located.status == 0 && located.output.contains(destination) && located.output.contains("sequence    1"), "\(located.output)")
        }
    }
}
