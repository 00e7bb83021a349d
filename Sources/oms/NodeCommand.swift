import ArgumentParser
import Foundation
import Logging
import Metrics
import OMSAPI
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore
import OMSTrust
import Prometheus
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a node and look at a running one.",
        subcommands: [Run.self, Status.self, Metrics.self, ID.self, Attestation.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the node until Ctrl-C (SIGINT) or SIGTERM.")

        @OptionGroup var dataDir: DataDirectoryOptions

        @Option(help: "Accept connections on HOST:PORT (port 0 picks a free one).")
        var listen: String = "0.0.0.0:7400"

        @Option(help: "The HOST:PORT peers should dial, when it differs from --listen.")
        var advertise: String?

        @Option(name: .customLong("peer"), help: "Dial this HOST:PORT (repeatable); remembered as a configured peer.")
        var peers: [String] = []

        @Option(help: "Read the identity key's passphrase from this file's first line.")
        var passphraseFile: String?

        @Option(help: ArgumentHelp("Reach the TPM that sealed this node's key at this TCTI rather than the one 'oms init --tpm' named.", valueName: "tcti"))
        var tpm: String?

        @Flag(help: "Take TCFs that other nodes migrate here (after attesting with this node's TPM).")
        var acceptMigrations = false

        @Option(help: "Seconds between keep-alive pings.")
        var pingInterval: Double = 5

        @Option(help: "Seconds of silence after which a session is closed.")
        var idleTimeout: Double = 20

        @Option(help: "Seconds between syncs of each community log with the connected nodes of its members.")
        var communitySync: Double = 5

        @Option(help: "Milliseconds between SWIM probes of one member (memberlist's LAN profile: 1000).")
        var probeInterval: UInt64 = 1000

        @Option(help: "Milliseconds between gossip rounds of membership news and manifests.")
        var gossipInterval: UInt64 = 200

        @Option(help: "Seconds between push-pull exchanges (anti-entropy) of membership and manifests.")
        var pushPullInterval: Double = 30

        @Option(help: ArgumentHelp("Testnets only: drop this share (0 to 0.5) of outgoing membership and gossip messages.", visibility: .hidden))
        var testnetFaultLoss: Double = 0

        @Option(help: "Serve the owner API (HTTP/1.1) on HOST:PORT; keep it on loopback unless you know why not.")
        var api: String = "127.0.0.1:7480"

        @Option(help: "Also serve the owner API as HTTP/2 cleartext (prior knowledge) on HOST:PORT.")
        var apiH2c: String?

        @Option(help: "trace, debug, info, notice, warning, error or critical.")
        var logLevel: String = "info"

        /// memberlist's LAN profile with this node's intervals; the probe timeout keeps its
        /// share of the interval (half).
        var membershipSettings: SWIMSettings {
            var settings = SWIMSettings.lan
            settings.probeInterval = probeInterval
            settings.probeTimeout = probeInterval / 2
            settings.gossipInterval = gossipInterval
            settings.pushPullInterval = UInt64(pushPullInterval * 1000)
            return settings
        }

        var disseminationSettings: DisseminationSettings {
            var settings = DisseminationSettings()
            settings.gossipInterval = gossipInterval
            settings.pushPullInterval = UInt64(pushPullInterval * 1000)
            return settings
        }

        func run() async throws {
            guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown --log-level \(logLevel)") }
            let listenEndpoint = try parseEndpoint(listen, option: "--listen")
            let advertiseEndpoint = try advertise.map { try parseEndpoint($0, option: "--advertise") }
            let bootstrap = try peers.map { try parseEndpoint($0, option: "--peer") }
            let apiEndpoint = try parseEndpoint(api, option: "--api")
            let h2cEndpoint = try apiH2c.map { try parseEndpoint($0, option: "--api-h2c") }
            guard (0...0.5).contains(testnetFaultLoss) else { throw ValidationError("--testnet-fault-loss is 0 to 0.5") }
            guard (50...60_000).contains(probeInterval), (10...10_000).contains(gossipInterval), (1...3600).contains(pushPullInterval) else {
                throw ValidationError("--probe-interval is 50 to 60,000 ms, --gossip-interval 10 to 10,000 ms, --push-pull-interval 1 to 3,600 s")
            }
            guard pingInterval > 0, idleTimeout > pingInterval else {
                throw ValidationError("--idle-timeout must be longer than --ping-interval, and both positive")
            }

            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "oms")
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

            let directory = dataDir.directory
            let store = try NodeStore(directory: directory)
            let lock = try DataDirectoryLock(directory)
            // Owner-only, whatever happened to the directory since 'oms init'.
            try directory.create()
            defer { lock.release() }
            let unlock: IdentityUnlock
            let protection = try store.identityProtection()
            // The TPM that sealed the key also attests this node when a TCF migrates here.
            var device: TPM?
            switch protection {
            case .tpm(let sealed):
                let opened = try TPM(tcti: tpm ?? sealed.tcti)
                device = opened
                // What a killed run of this node left loaded in a TPM without a resource manager.
                if let flushed = try? opened.flushTransientObjects(), flushed > 0 {
                    logger.notice("flushed objects a previous run left in the TPM", metadata: ["tpm/objects": "\(flushed)"])
                }
                unlock = .masterKey(
                    try opened.unseal(TPMObject(publicArea: try TPMPublicArea(bytes: sealed.publicArea), privateBlob: sealed.privateBlob)))
            case .keyFile:
                unlock = .keyFile
            case .passphrase:
                guard let passphrase = try Passphrase.read(file: passphraseFile, confirm: false) else {
                    throw ValidationError("this node's key needs its passphrase: --passphrase-file FILE or $OMS_PASSPHRASE")
                }
                unlock = .passphrase(passphrase)
            }
            let identity = try store.unlockIdentity(unlock)
            let configuration = NodeConfiguration(
                identity: identity, trust: protection.trust, network: try store.network(), listen: listenEndpoint, advertise: advertiseEndpoint,
                bootstrap: bootstrap,
                session: .init(pingInterval: .seconds(pingInterval), idleTimeout: .seconds(idleTimeout)),
                membership: membershipSettings, dissemination: disseminationSettings, faultLoss: testnetFaultLoss)
            let node = Node(configuration: configuration, store: store, logger: logger)
            try await node.bind()
            if let bound = await node.listeningAddress {
                try (bound.description + "\n").write(to: directory.listenAddressFile, atomically: true, encoding: .utf8)
            }
            defer { try? FileManager.default.removeItem(at: directory.listenAddressFile) }
            let host = try TCFHost(store: store, nodeIdentity: identity)
            for (tcf, reason) in host.unopened {
                logger.warning("TCF left closed", metadata: ["tcf/id": "\(tcf)", "tcf/error": "\(reason)"])
            }
            let exchange = Exchange(host: host, nodeIdentity: identity)
            await node.serveQueries(exchange.responder)
            let communities = try Communities(host: host, node: node, exchange: exchange)
            for (community, reason) in communities.unrestored {
                logger.warning("community log left out: a sync from a member's node can restore it", metadata: ["community/id": "\(community)", "community/error": "\(reason)"])
            }
            let migrations = Migrations(
                node: node, host: host, identity: identity, trust: protection.trust, tpm: device, acceptIncoming: acceptMigrations, logger: logger,
                publish: { await node.publish($0) })
            // A hand-over a stop interrupted finishes now, a commit sent before it is asked again, and a
            // TCF frozen before its commit went out runs again.
            await migrations.resume()
            let serveCommunities = communities.handler
            await node.serveRequests { frame, peer in
                Migrations.handles(frame) ? await migrations.handle(frame, from: peer) : await serveCommunities(frame, peer)
            }
            let ownerAPI = OwnerAPIService(
                api: OwnerAPI(
                    node: node, host: host, exchange: exchange, communities: communities, migrations: migrations,
                    tokens: try APITokens.loadOrCreate(in: directory),
                    metrics: registry),
                address: apiEndpoint, h2cAddress: h2cEndpoint, addressFile: directory.apiAddressFile, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: NodeService(node: node)), .init(service: ownerAPI),
                        .init(service: CommunitySyncService(communities: communities, interval: .milliseconds(Int64(communitySync * 1000)))),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a running node's peers, RTTs and uptime.")

        @OptionGroup var dataDir: DataDirectoryOptions

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            let status: NodeStatus = try await dataDir.client().get("/v1/node")
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
            } else {
                print(StatusFormatter.render(status))
            }
        }
    }

    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a running node's metrics (Prometheus text format).")

        @OptionGroup var dataDir: DataDirectoryOptions

        func run() async throws {
            let reply = try await dataDir.client().send(.GET, "/v1/node/metrics")
            print(String(decoding: reply.body, as: UTF8.self), terminator: "")
        }
    }

    struct ID: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "id", abstract: "Print this node's id (no unlock needed).")

        @OptionGroup var dataDir: DataDirectoryOptions

        func run() async throws {
            print(try NodeStore(directory: dataDir.directory).publicIdentity())
        }
    }
}

extension NodeCommand {
    struct Attestation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "This node's TPM attestation key and PCR values: what an owner names to migrate a TCF here.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Option(help: "The SHA-256 PCRs to show, comma-separated.") var pcrs = "0,1,2,3,4,5,6,7"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let attestation: NodeAttestation = try await dataDir.client().get(apiPath("node", "attestation") + "?pcrs=\(pcrs)")
            if json { return try printJSON(attestation) }
            print("node             \(attestation.node)")
            print("trust            \(attestation.trust)")
            print("attestation key  \(attestation.attestationKey)")
            for (index, value) in attestation.pcrs.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                print("pcr \(index)".padding(toLength: 17, withPad: " ", startingAt: 0) + value)
            }
            print("migrate here with: oms tcf migrate TCF --to \(attestation.node) --allow-ak \(attestation.attestationKey) [--pcr N=HEX ...]")
        }
    }
}

func parseEndpoint(_ text: String, option: String) throws -> Endpoint {
    do {
        return try Endpoint(parsing: text)
    } catch {
        throw ValidationError("\(option): \(error.description)")
    }
}
