import Foundation
import Hummingbird
import NIOPosix
import OMSCore
import OMSNode
import OMSStore
import Prometheus

/// The owner's HTTP API (protocol-spec/owner-api.yaml): everything `oms` does to a running
/// node goes through here. Routes under `/v1/public/` need no token (they are what apps and
/// other people's tools call); all other `/v1/` routes need a bearer token, and those that
/// change something need the owner token.
public struct OwnerAPI: Sendable {
    let node: Node
    let host: TCFHost
    let exchange: Exchange
    let communities: Communities?
    let migrations: Migrations?
    let apps: AppSignIns
    let tokens: APITokens
    let metrics: PrometheusCollectorRegistry?

    public init(
        node: Node, host: TCFHost, exchange: Exchange, communities: Communities? = nil, migrations: Migrations? = nil,
        apps: AppSignIns = AppSignIns(), tokens: APITokens, metrics: PrometheusCollectorRegistry?
    ) {
        self.communities = communities
        self.migrations = migrations
        self.node = node
        self.host = host
        self.exchange = exchange
        self.apps = apps
        self.tokens = tokens
        self.metrics = metrics
    }

    public func router() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        // Outermost: requests, durations and errors per route template and status, in the
        // node's Prometheus registry (`oms node metrics`); requests at debug level in the log.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        // Before any route, so that it wraps every route and the not-found responder.
        router.add(middleware: APIErrorMiddleware())
        addPublicRoutes(router.group("v1/public"))
        // Devices authenticate with their own tokens, not the owner's.
        addIngestRoute(router)
        addDiscoveryRoutes(router)
        let v1 = router.group("v1").add(middleware: BearerAuthentication(tokens: tokens))
        addNodeRoutes(v1)
        addTCFRoutes(v1)
        addTCCRoutes(v1)
        addClaimRoutes(v1)
        addRegistryRoutes(v1)
        addDataRoutes(v1)
        addPolicyRoutes(v1)
        addExportRoutes(v1)
        addAskRoutes(v1)
        addCommunityRoutes(v1)
        addMigrationRoutes(v1)
        return router
    }

    /// Runs blocking work (SQLite writes with fsync, argon2id) off the event loops.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

extension APIContext {
    func parameter(_ name: String) throws -> String {
        try parameters.require(name).removingPercentEncoding ?? parameters.require(name)
    }
}

/// Parses owner input into a domain type, refusing with 400 and the parser's reason.
func parse<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as HostingError {
        throw APIError(.badRequest, code: error.code.name, "\(what): \(error.context)")
    } catch let error as IdentityError {
        throw APIError(.badRequest, code: error.code.name, "\(what): \(error.context)")
    } catch {
        throw APIError(.badRequest, code: "invalidArgument", "\(what): \(error)")
    }
}

extension OwnerAPI {
    /// A region as a request writes it: latitude, longitude and radius in metres.
    static func region(_ values: [Double]?) throws -> Region? {
        try values.map { values in
            guard values.count == 3 else { throw HostingError(.invalidArgument, "a region is latitude, longitude and radius") }
            return try Region(latitude: values[0], longitude: values[1], radius: values[2])
        }
    }
}
