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

        /// "METHOD /path" → the `x-oms-scope` the document gives it.
        static func documentedScopes() throws -> [String: String] {
            let text = try String(
                contentsOf: SharedVectors.projectRoot.appendingPathComponent("protocol-spec/owner-api.yaml"), encoding: .utf8)
            var scopes: [String: String] = [:]
            var inPaths = false
            var path: String?
            var operation: String?
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:" }
                guard inPaths else { continue }
                if line.hasPrefix("  /"), line.hasSuffix(":") {
                    path = String(line.dropFirst(2).dropLast())
                    operation = nil
                } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                    let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                    operation = ["get", "post", "put", "delete", "patch"].contains(key) ? "\(key.uppercased()) \(path)" : nil
                } else if let operation, line.hasPrefix("      x-oms-scope:") {
                    scopes[operation] = line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
                }
            }
            return scopes
        }

        /// The read-only token is refused (403 `forbidden`) on every route the document marks
        /// `owner`, before the route looks at its parameters or body, and never on a `read` one.
        @Test func theReadOnlyTokenChangesNothingAnywhere() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let scopes = try Self.documentedScopes()
                #expect(scopes.values.filter { $0 == "owner" }.count > 20)
                for (route, scope) in scopes.sorted(by: { $0.key < $1.key }) where scope == "owner" || scope == "read" {
                    let parts = route.split(separator: " ", maxSplits: 1)
                    let path = String(parts[1]).replacingOccurrences(of: #"\{[a-z]+\}"#, with: "nothing-here", options: .regularExpression)
                    let body = Array("{}".utf8)
                    let status: Int
                    do {
                        let reply =
                            switch parts[0] {
                            case "GET": try await node.readOnly.send(.GET, path)
                            case "DELETE": try await node.readOnly.send(.DELETE, path)
                            case "PUT": try await node.readOnly.send(.PUT, path, body: body)
                            default: try await node.readOnly.send(.POST, path, body: body)
                            }
                        status = Int(reply.status.code)
                    } catch let error as APIClientError {
                        status = error.status
                    }
                    if scope == "owner" {
                        #expect(status == 403, "\(route) with the read-only token: \(status)")
                    } else {
                        #expect(status != 403, "\(route) is a read route, yet the read-only token got 403")
                    }
                }
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
