import Foundation
import Logging
import OMSAPI
import OMSCore
import OMSCrypto
@testable import OMSNode
import OMSProtocol
import OMSStore
import OMSTestKit
import Synchronization
import Testing

/// A real node with its owner API on an ephemeral loopback port, over a real data directory
/// in a temporary folder. The clock of its TCF host and app sign-ins can be moved forward,
/// so expiry is tested without waiting.
struct APINode: Sendable {
    let directory: DataDirectory
    let store: NodeStore
    let host: TCFHost
    let exchange: Exchange
    let communities: Communities
    let node: Node
    let owner: OwnerAPIClient
    let readOnly: OwnerAPIClient
    let anonymous: OwnerAPIClient
    let clock: TestClock
    let h2c: Endpoint?

    /// A clock that is the real time plus an offset the test moves.
    final class TestClock: Sendable {
        let offset = Mutex<TimeInterval>(0)
        func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
        var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    }

    /// Cheap argon2id, so archives do not take a second each in tests.
    static let fastArgon2 = Argon2id.Parameters(opsLimit: 1, memLimit: 8192)

    /// Starts a node in `root` (a new data directory), runs `body`, stops the node.
    static func run<R: Sendable>(
        in root: URL, name: String = "node", h2c: Bool = false, configure: (inout NodeConfiguration) -> Void = { _ in },
        _ body: @Sendable (APINode) async throws -> R
    ) async throws -> R {
        let directory = DataDirectory(root.appendingPathComponent(name).path)
        let (store, identity) = try NodeStore.initialize(
            directory: directory, network: NodeHarness.testNetwork, passphrase: nil, argon2: fastArgon2)
        let clock = TestClock()
        let host = try TCFHost(store: store, nodeIdentity: identity, archiveParameters: fastArgon2, now: { clock.now })
        var configuration = NodeHarness.configuration(identity: identity)
        configure(&configuration)
        let node = Node(configuration: configuration, store: store, logger: NodeHarness.quietLogger)
        let tokens = try APITokens.loadOrCreate(in: directory)
        let exchange = Exchange(host: host, nodeIdentity: identity)
        await node.serveQueries(exchange.responder)
        let communities = try Communities(host: host, node: node, exchange: exchange)
        await node.serveRequests(communities.handler)
        let api = OwnerAPI(
            node: node, host: host, exchange: exchange, communities: communities, apps: AppSignIns(now: { clock.now }), tokens: tokens,
            metrics: nil)
        let (bound, boundSink) = AsyncStream.makeStream(of: Endpoint.self)
        let h2cEndpoint = h2c ? try Endpoint(host: "127.0.0.1", port: try LoopbackPorts.free()) : nil
        let service = OwnerAPIService(
            api: api, address: try Endpoint(host: "127.0.0.1", port: 0), h2cAddress: h2cEndpoint,
            addressFile: directory.apiAddressFile, logger: NodeHarness.quietLogger,
            onBound: { boundSink.yield($0) })
        try await node.bind()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.run() }
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            var iterator = bound.makeAsyncIterator()
            guard let endpoint = await iterator.next() else { throw NodeHarness.Timeout(what: "API bound", after: .zero) }
            let apiNode = APINode(
                directory: directory, store: store, host: host, exchange: exchange, communities: communities, node: node,
                owner: OwnerAPIClient(endpoint: endpoint, token: try TokenFile.read(directory.ownerTokenFile)),
                readOnly: OwnerAPIClient(endpoint: endpoint, token: try TokenFile.read(directory.readTokenFile)),
                anonymous: OwnerAPIClient(endpoint: endpoint, token: ""), clock: clock, h2c: h2cEndpoint)
            return try await body(apiNode)
        }
    }
}

/// The refusal a request got, for tests that expect one.
func refusal(sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async -> APIClientError? {
    do {
        try await body()
        Issue.record("expected the API to refuse, but it accepted", sourceLocation: sourceLocation)
        return nil
    } catch let error as APIClientError {
        return error
    } catch {
        Issue.record("expected an API refusal, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension OwnerAPIClient {
    func post<Answer: Decodable>(_ path: String, _ body: some Encodable, as: Answer.Type = Answer.self) async throws -> Answer {
        try await send(.POST, path, json: body)
    }
}
