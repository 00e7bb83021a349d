import ServiceLifecycle

/// Runs a `Node` inside a `ServiceGroup`: graceful shutdown (SIGINT, SIGTERM) cancels it,
/// which makes it say goodbye to its peers and close its sockets.
public struct NodeService: Service {
    public let node: Node

    public init(node: Node) {
        self.node = node
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await node.run()
        }
        // run() returns normally once cancelled: a graceful shutdown is not an error.
    }
}
