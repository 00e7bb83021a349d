import Foundation
import Testing

extension IntegrationTests {
    /// The `oms` executable as an owner uses it: the usual mistakes get clear messages, and a node
    /// started from the command line runs, answers `status`, and stops cleanly on SIGINT.
    @Suite(.timeLimit(.minutes(1))) struct CommandLineTests {
        /// The `oms` built beside this test binary.
        static let oms: URL = {
            let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            let candidates = [here, here.deletingLastPathComponent()].map { $0.appendingPathComponent("oms") }
            return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
        }()

        struct Result {
            var status: Int32
            var output: String
        }

        /// Runs `oms` with `arguments`, stdin closed, and returns its exit status and stderr+stdout.
        static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
            let process = Process()
            process.executableURL = oms
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            env["OMS_PASSPHRASE"] = nil
            env.merge(environment) { $1 }
            process.environment = env
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
        }

        private func scratch() -> URL { NodeHarness.temporaryDirectory() }

        @Test func initWithoutAChoiceOfProtectionExplainsTheOptions() throws {
            let dir = scratch()
            defer { try? FileManager.default.removeItem(at: dir) }
            let result = try Self.run(["init", "--data-dir", dir.appendingPathComponent("n").path])
            #expect(result.status != 0)
            #expect(result.output.contains("--no-passphrase"))
        }

        @Test func runningWithoutADataDirSaysToInitFirst() throws {
            let dir = scratch()
            defer { try? FileManager.default.removeItem(at: dir) }
            let result = try Self.run(["node", "run", "--data-dir", dir.appendingPathComponent("missing").path])
            #expect(result.status != 0)
            #expect(result.output.contains("oms init"))
        }

        @Test func aWrongPassphraseIsRefusedByName() throws {
            let dir = scratch()
            defer { try? FileManager.default.removeItem(at: dir) }
            let data = dir.appendingPathComponent("n").path
            let good = dir.appendingPathComponent("good")
            let bad = dir.appendingPathComponent("bad")
            try "correct horse battery\n".write(to: good, atomically: true, encoding: .utf8)
            try "wrong\n".write(to: bad, atomically: true, encoding: .utf8)
            #expect(try Self.run(["init", "--data-dir", data, "--passphrase-file", good.path]).status == 0)
            let result = try Self.run(["node", "run", "--data-dir", data, "--passphrase-file", bad.path, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"])
            #expect(result.status != 0)
            #expect(result.output.contains("wrong passphrase"))
        }

        @Test func badAddressesAndNetworksAreRefusedWithTheOptionNamed() throws {
            let dir = scratch()
            defer { try? FileManager.default.removeItem(at: dir) }
            let data = dir.appendingPathComponent("n").path
            let badNetwork = try Self.run(["init", "--data-dir", data, "--network", "Not Valid", "--no-passphrase"])
            #expect(badNetwork.status != 0 && badNetwork.output.contains("network id"))
            #expect(try Self.run(["init", "--data-dir", data, "--no-passphrase"]).status == 0)
            let again = try Self.run(["init", "--data-dir", data, "--no-passphrase"])
            #expect(again.status != 0 && again.output.contains("already holds a node"))
            let badPeer = try Self.run(["node", "run", "--data-dir", data, "--peer", "nonsense"])
            #expect(badPeer.status != 0 && badPeer.output.contains("--peer") && badPeer.output.contains("bad address"))
            let badPort = try Self.run(["peer", "add", "--data-dir", data, "127.0.0.1:99999"])
            #expect(badPort.status != 0 && badPort.output.contains("port"))
        }

        @Test func aNodeRunsAnswersStatusRefusesASecondInstanceAndStopsCleanly() async throws {
            let dir = scratch()
            defer { try? FileManager.default.removeItem(at: dir) }
            let data = dir.appendingPathComponent("n").path
            #expect(try Self.run(["init", "--data-dir", data, "--no-passphrase", "--network", "cli-net"]).status == 0)
            #expect(try Self.run(["peer", "add", "--data-dir", data, "127.0.0.1:9"]).output.contains("added"))

            let node = Process()
            node.executableURL = Self.oms
            node.arguments = ["node", "run", "--data-dir", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"]
            let log = Pipe()
            node.standardError = log
            node.standardOutput = log
            try node.run()
            defer { if node.isRunning { node.terminate() } }

            let addressFile = URL(fileURLWithPath: data).appendingPathComponent("listen.addr")
            try await NodeHarness.eventually("listen.addr written") { FileManager.default.fileExists(atPath: addressFile.path) }
            let address = try String(contentsOf: addressFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

            let status = try Self.run(["node", "status", "--data-dir", data, "--json"])
            #expect(status.status == 0)
            #expect(status.output.contains("\"network\" : \"cli-net\""))
            #expect(status.output.contains("127.0.0.1:9"), "the stored peer is being dialled")

            let second = try Self.run(["node", "run", "--data-dir", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"])
            #expect(second.status != 0 && second.output.contains("already running"))

            let portTaken = scratch()
            defer { try? FileManager.default.removeItem(at: portTaken) }
            let other = portTaken.appendingPathComponent("n").path
            #expect(try Self.run(["init", "--data-dir", other, "--no-passphrase"]).status == 0)
            let clash = try Self.run(["node", "run", "--data-dir", other, "--listen", address, "--api", "127.0.0.1:0"])
            #expect(clash.status != 0 && clash.output.contains("already in use"))

            kill(node.processIdentifier, SIGINT)
            node.waitUntilExit()
            let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(node.terminationStatus == 0, "SIGINT is a clean stop: \(output.suffix(400))")
            #expect(output.contains("node stopped"))
            #expect(!FileManager.default.fileExists(atPath: addressFile.path))
            #expect(!FileManager.default.fileExists(atPath: URL(fileURLWithPath: data).appendingPathComponent("api.addr").path))
            let afterwards = try Self.run(["node", "status", "--data-dir", data])
            #expect(afterwards.status != 0 && afterwards.output.contains("no node is running"))
        }
    }
}
