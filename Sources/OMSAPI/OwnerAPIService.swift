import Foundation
import Hummingbird
import HummingbirdHTTP2
import Logging
import NIOCore
import OMSNode
import OMSProtocol
import OMSStore
import ServiceLifecycle

/// Serves the owner API while the node runs: HTTP/1.1 on `address` and, when asked, HTTP/2
/// cleartext (prior knowledge, as `curl --http2-prior-knowledge` speaks it) on `h2cAddress`.
/// Hummingbird serves h2c and HTTP/1.1 on one port only over TLS (ALPN), so cleartext gets
/// two ports sharing one router. The bound HTTP/1.1 address is written to `api.addr` in the
/// data directory, where `oms` finds it.
public struct OwnerAPIService: Service {
    let api: OwnerAPI
    let address: Endpoint
    let h2cAddress: Endpoint?
    let addressFile: URL?
    let logger: Logger
    let onBound: @Sendable (Endpoint) async -> Void

    public init(
        api: OwnerAPI, address: Endpoint, h2cAddress: Endpoint? = nil, addressFile: URL?, logger: Logger,
        onBound: @escaping @Sendable (Endpoint) async -> Void = { _ in }
    ) {
        self.api = api
        self.address = address
        self.h2cAddress = h2cAddress
        self.addressFile = addressFile
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let responder = api.router().buildResponder()
        var services: [any Service] = []
        let http1 = Application(
            responder: responder, server: .http1(),
            configuration: .init(address: .hostname(address.host, port: Int(address.port)), serverName: nil),
            onServerRunning: { channel in
                guard let port = channel.localAddress?.port else { return }
                guard let bound = try? Endpoint(host: address.host, port: port) else { return }
                if let addressFile {
                    try? (bound.description + "\n").write(to: addressFile, atomically: true, encoding: .utf8)
                }
                logger.info("owner API listening", metadata: ["api/address": "http://\(bound)"])
                await onBound(bound)
            },
            logger: logger)
        services.append(http1)
        if let h2cAddress {
            services.append(
                Application(
                    responder: responder, server: .plaintextHTTP2(),
                    configuration: .init(address: .hostname(h2cAddress.host, port: Int(h2cAddress.port)), serverName: nil),
                    onServerRunning: { channel in
                        logger.info("owner API (h2c) listening", metadata: ["api/address": "\(channel.localAddress?.description ?? "-")"])
                    },
                    logger: logger))
        }
        defer { if let addressFile { try? FileManager.default.removeItem(at: addressFile) } }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw NodeError(
                .addressInUse, "the owner API's address (\(address)\(h2cAddress.map { " or \($0)" } ?? "")) is already in use: pick another with --api")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw NodeError(.badAddress, "the owner API's host is not an address of this machine (--api \(address))")
        }
    }
}
