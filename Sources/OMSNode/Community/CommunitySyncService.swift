import ServiceLifecycle

/// Anti-entropy for community logs: every `interval`, each community is synced from every
/// connected node of its members, so that an event a push missed (a node that was away, a
/// partition) arrives all the same.
public struct CommunitySyncService: Service {
    public let communities: Communities
    public let interval: Duration

    public init(communities: Communities, interval: Duration = .seconds(5)) {
        self.communities = communities
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await communities.syncAll()
                try? await Task.sleep(for: interval)
            }
        }
    }
}
