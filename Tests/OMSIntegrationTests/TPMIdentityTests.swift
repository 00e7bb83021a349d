import Foundation
import OMSTestKit
import Testing

extension IntegrationTests {
    /// A node whose key the TPM sealed: it starts with its TPM, says so in its status and its
    /// handshakes, and its data directory copied to another machine (another TPM) opens nothing.
    @Suite(.timeLimit(.minutes(1))) struct TPMIdentityTests {
        typealias CLI = CommandLineTests

        @Test func aTPMSealedNodeRunsOnlyWithItsTPM() async throws {
            let swtpm = try SoftwareTPM()
            defer { swtpm.stop() }
            let dir = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let data = dir.appendingPathComponent("n").path
            let initialised = try CLI.run(["init", "--data-dir", data, "--tpm", swtpm.tcti, "--network", "cli-net"])
            #expect(initialised.status == 0, "\(initialised.output)")
            #expect(initialised.output.contains("sealed by the TPM at \(swtpm.tcti)") && initialised.output.contains("trust       tpm"))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("n/identity.key").path), "no key file beside the database")

            // A copy of the whole directory, as a thief of the disk would have it.
            let copy = dir.appendingPathComponent("copy").path
            try FileManager.default.copyItem(atPath: data, toPath: copy)

            let node = Process()
            node.executableURL = CLI.oms
            node.arguments = ["node", "run", "--data-dir", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"]
            let log = Pipe()
            node.standardError = log
            node.standardOutput = log
            node.environment = ProcessInfo.processInfo.environment.merging(["TSS2_LOG": "all+none"]) { $1 }
            try node.run()
            defer { if node.isRunning { node.terminate() } }
            let addressFile = URL(fileURLWithPath: data).appendingPathComponent("api.addr")
            try await NodeHarness.eventually("api.addr written") { FileManager.default.fileExists(atPath: addressFile.path) }
            let status = try CLI.run(["node", "status", "--data-dir", data, "--json"])
            #expect(status.output.contains("\"trust\" : \"tpm\""), "\(status.output.prefix(400))")
            kill(node.processIdentifier, SIGINT)
            node.waitUntilExit()
            #expect(node.terminationStatus == 0)

            let elsewhere = try SoftwareTPM()
            defer { elsewhere.stop() }
            let stolen = try CLI.run(
                ["node", "run", "--data-dir", copy, "--tpm", elsewhere.tcti, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"],
                environment: ["TSS2_LOG": "all+none"])
            #expect(stolen.status != 0)
            #expect(stolen.output.contains("will not load"), "\(stolen.output.suffix(400))")

            swtpm.stop()
            let noTPM = try CLI.run(
                ["node", "run", "--data-dir", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"], environment: ["TSS2_LOG": "all+none"])
            #expect(noTPM.status != 0 && noTPM.output.contains("no TPM at"), "\(noTPM.output.suffix(400))")
        }

        @Test func initRefusesATPMThatIsNotThere() throws {
            let dir = NodeHarness.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let data = dir.appendingPathComponent("n").path
            let refused = try CLI.run(["init", "--data-dir", data, "--tpm", "swtpm:host=127.0.0.1,port=1"], environment: ["TSS2_LOG": "all+none"])
            #expect(refused.status != 0 && refused.output.contains("no TPM at"), "\(refused.output)")
            #expect(!FileManager.default.fileExists(atPath: data + "/node.sqlite"), "nothing half made")
            let both = try CLI.run(["init", "--data-dir", data, "--tpm", "swtpm:host=127.0.0.1,port=1", "--no-passphrase"])
            #expect(both.status != 0 && both.output.contains("--tpm seals the key"))
        }
    }
}
