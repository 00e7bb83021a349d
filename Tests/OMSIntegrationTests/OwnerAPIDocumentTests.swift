import Foundation
import OMSAPI
import OMSNode
import OMSStore
import OMSTestKit
import Testing

/// The OpenAPI document in protocol-spec/ is the API's contract for other clients; these
/// tests keep it true to the router, and check the HTTP/2 cleartext listener with a client
/// that is not ours (curl).
extension IntegrationTests {
    @Suite struct OwnerAPIDocumentTests {
        let root = NodeHarness.temporaryDirectory()

        /// "METHOD /path" for each operation in owner-api.yaml: path keys are indented two
        /// spaces under `paths:`, method keys four.
        static func documentedRoutes() throws -> Set<String> {
            let text = try String(
                contentsOf: SharedVectors.projectRoot.appendingPathComponent("protocol-spec/owner-api.yaml"), encoding: .utf8)
            var routes: Set<String> = []
            var inPaths = false
            var path: String?
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:" }
                guard inPaths else { continue }
                if line.hasPrefix("  /"), line.hasSuffix(":") {
                    path = String(line.dropFirst(2).dropLast())
                } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                    let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                    if ["get", "post", "put", "delete", "patch"].contains(key) { routes.insert("\(key.uppercased()) \(path)") }
                }
            }
            return routes
        }

        @Test func theOpenAPIDocumentListsExactlyTheRoutesServed() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let api = OwnerAPI(node: node.node, host: node.host, exchange: node.exchange, tokens: APITokens(owner: "o", readOnly: "r"), metrics: nil)
                let served = Set(api.router().routes.map { "\($0.method.rawValue) \($0.path)" })
                let documented = try Self.documentedRoutes()
                #expect(served.count > 30)
                #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
                #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
            }
        }

        @Test func theAPISpeaksHTTP2CleartextToCurl() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root, h2c: true) { node in
                let h2c = try #require(node.h2c)
                let token = try TokenFile.read(node.directory.ownerTokenFile)
                try await NodeHarness.eventually("the h2c listener accepts") {
                    let probe = try Self.curl(["--http2-prior-knowledge", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(h2c)/v1/node"])
                    return probe.output == "401"
                }
                let answer = try Self.curl([
                    "--http2-prior-knowledge", "-s", "-w", "\n%{http_version} %{http_code}", "-H", "Authorization: Bearer \(token)",
                    "http://\(h2c)/v1/node",
                ])
                #expect(answer.output.hasSuffix("\n2 200"), "HTTP/2 and 200: \(answer.output.suffix(40))")
                #expect(answer.output.contains(node.node.id.description))
            }
        }

        static func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        }
    }
}
