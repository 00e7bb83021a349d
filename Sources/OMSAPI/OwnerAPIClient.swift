import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OMSNode
import OMSProtocol
import OMSStore

/// How `oms` talks to a running node: HTTP/1.1 to the owner API on loopback, one request per
/// connection, with the bearer token from the data directory.
public struct OwnerAPIClient: Sendable {
    public let endpoint: Endpoint
    let token: String
    /// Archives can be large; anything else is small.
    static let maximumResponse = 1 << 30

    public init(endpoint: Endpoint, token: String) {
        self.endpoint = endpoint
        self.token = token
    }

    /// The client for the node running on `directory`, or `NodeError.notRunning`.
    public static func forDataDirectory(_ directory: DataDirectory, tokenFile: URL? = nil) throws -> OwnerAPIClient {
        let addressFile = directory.apiAddressFile
        guard let text = try? String(contentsOf: addressFile, encoding: .utf8), let endpoint = Endpoint(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw NodeError(.notRunning, "no node is running on \(directory.path) (no \(addressFile.lastPathComponent)): start one with 'oms node run'")
        }
        return OwnerAPIClient(endpoint: endpoint, token: try TokenFile.read(tokenFile ?? directory.ownerTokenFile))
    }

    public struct Reply: Sendable {
        public var status: HTTPResponseStatus
        public var contentType: String?
        public var body: [UInt8]
    }

    public func get<Answer: Decodable>(_ path: String, as: Answer.Type = Answer.self) async throws -> Answer {
        try decode(try await send(.GET, path))
    }

    public func send<Answer: Decodable>(_ method: HTTPMethod, _ path: String, json body: some Encodable, as: Answer.Type = Answer.self) async throws -> Answer {
        try decode(try await send(method, path, body: Array(try JSONEncoder.api.encode(body))))
    }

    /// Sends one request; a non-2xx answer becomes an `APIClientError` with the node's reason.
    public func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json", headers: [(String, String)] = []
    ) async throws -> Reply {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: endpoint.host, port: Int(endpoint.port)) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw NodeError(.notRunning, "the node's API at \(endpoint) does not answer (\(error)); is the node still running?")
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: endpoint.description)
        head.headers.add(name: "Authorization", value: "Bearer \(token)")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body {
            head.headers.add(name: "Content-Type", value: contentType)
            head.headers.add(name: "Content-Length", value: String(body.count))
        }
        let reply = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.head(head))
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))
            var reply: Reply?
            var collected: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let response):
                    reply = Reply(status: response.status, contentType: response.headers.first(name: "Content-Type"), body: [])
                case .body(let buffer):
                    guard collected.count + buffer.readableBytes <= Self.maximumResponse else {
                        throw NodeError(.apiFailed, "the node's answer is larger than \(Self.maximumResponse) bytes")
                    }
                    collected += buffer.readableBytesView
                case .end:
                    guard var done = reply else { break }
                    done.body = collected
                    return done
                }
            }
            throw NodeError(.apiFailed, "the node closed the connection before answering")
        }
        guard (200..<300).contains(reply.status.code) else {
            let detail = try? JSONDecoder.api.decode(APIErrorBody.self, from: Data(reply.body)).error
            throw APIClientError(
                status: Int(reply.status.code), code: detail?.code ?? "http\(reply.status.code)", message: detail?.message ?? reply.status.reasonPhrase,
                location: detail?.at)
        }
        return reply
    }

    func decode<Answer: Decodable>(_ reply: Reply) throws -> Answer {
        do {
            return try JSONDecoder.api.decode(Answer.self, from: Data(reply.body))
        } catch {
            throw NodeError(.apiFailed, "the node's answer does not read as \(Answer.self): \(error)")
        }
    }
}

/// The node refused a request: its status, code and reason, as the API sent them.
public struct APIClientError: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    /// Where a refused batch went wrong.
    public var location: APIErrorBody.Location? = nil

    public var description: String { "\(message) (\(code), HTTP \(status))" }
}
