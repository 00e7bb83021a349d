import Foundation
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Serves `ControlRequest`s on the data directory's Unix socket for `oms node status`,
/// `oms peer ...` and `oms note send` while the node runs.
public struct ControlServer: Service {
    let node: Node
    let socketPath: String
    let registry: PrometheusCollectorRegistry?
    let logger: Logger
    static let maximumRequestLength = 64 * 1024

    public init(node: Node, socketPath: String, registry: PrometheusCollectorRegistry?, logger: Logger) {
        self.node = node
        self.socketPath = socketPath
        self.registry = registry
        self.logger = logger
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineDecoder(maximumLength: Self.maximumRequestLength)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        defer { unlink(socketPath) }
        // Being able to open the socket is the authorisation: owner only.
        guard chmod(socketPath, 0o600) == 0 else {
            try? await server.channel.close()
            throw NodeError(.controlFailed, "cannot make the control socket \(socketPath) owner-only: \(String(cString: strerror(errno)))")
        }
        do {
            try await cancelWhenGracefulShutdown {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in inbound {
                            group.addTask { await self.serve(connection) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Graceful shutdown: the socket closes and is unlinked; nothing went wrong.
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await line in inbound {
                    let response = await answer(line)
                    var bytes = try JSONEncoder.control.encode(response)
                    bytes.append(UInt8(ascii: "\n"))
                    try await outbound.write(ByteBuffer(bytes: bytes))
                    return
                }
            }
        } catch {
            logger.debug("control connection failed", metadata: ["control/error": "\(error)"])
        }
    }

    private func answer(_ line: ByteBuffer) async -> ControlResponse {
        let request: ControlRequest
        do {
            request = try JSONDecoder.control.decode(ControlRequest.self, from: Data(line.readableBytesView))
        } catch {
            return ControlResponse(error: "not a control request: \(error)")
        }
        do {
            switch request {
            case .status:
                return ControlResponse(status: await node.status())
            case .metrics:
                var text: [UInt8] = []
                registry?.emit(into: &text)
                return ControlResponse(metrics: String(decoding: text, as: UTF8.self))
            case .listPeers:
                return ControlResponse(peers: try node.store?.peers() ?? [])
            case .addPeer(let endpoint):
                try await node.addPeer(endpoint)
                return ControlResponse(changed: true)
            case .removePeer(let endpoint):
                return ControlResponse(changed: try await node.removePeer(endpoint))
            case .sendNote(let text, let to):
                return ControlResponse(recipients: await node.sendNote(text, to: to))
            }
        } catch {
            return ControlResponse(error: "\(error)")
        }
    }
}

extension JSONEncoder {
    static var control: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    static var control: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
