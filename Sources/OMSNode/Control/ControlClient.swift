import Foundation
import NIOCore
import NIOPosix

/// Asks the node running on a data directory one question over its control socket.
public enum ControlClient {
    public static func send(_ request: ControlRequest, socketPath: String) async throws -> ControlResponse {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw NodeError(.notRunning, "no node is running here (no \(socketPath)): start one with 'oms node run'")
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder(maximumLength: 64 << 20)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw NodeError(
                .notRunning, "the node's control socket \(socketPath) does not answer (\(error)); is the node still running?")
        }
        var line = try JSONEncoder.control.encode(request)
        line.append(UInt8(ascii: "\n"))
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: line))
            for try await reply in inbound {
                let response = try JSONDecoder.control.decode(ControlResponse.self, from: Data(reply.readableBytesView))
                if let error = response.error { throw NodeError(.controlFailed, error) }
                return response
            }
            throw NodeError(.controlFailed, "the node closed the control connection without answering")
        }
    }
}
