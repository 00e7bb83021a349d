import OMSProtocol

/// What a node tells its peers about each other (protocol-spec/README.md, "Peer exchange"):
/// a newcomer hears of every established peer that accepts connections, and those peers hear
/// of the newcomer.
public enum PeerExchange {
    /// Entries a PeerList carries at most; receivers read no more than this either.
    public static let maximumEntries = 64

    /// The PeerList for a newcomer, or nil when there is nobody to introduce.
    public static func introduction(to newcomer: NodeID, of peers: [SessionInstance.PeerAdvert]) -> WireFrame? {
        let entries = peers.filter { $0.nodeID != newcomer }.prefix(maximumEntries).map(entry)
        guard !entries.isEmpty else { return nil }
        var frame = WireFrame()
        frame.peers = .with { $0.peers = Array(entries) }
        return frame
    }

    /// The one-entry PeerList that tells established peers about a newcomer.
    public static func announcement(of newcomer: SessionInstance.PeerAdvert) -> WireFrame {
        var frame = WireFrame()
        frame.peers = .with { $0.peers = [entry(newcomer)] }
        return frame
    }

    private static func entry(_ advert: SessionInstance.PeerAdvert) -> WirePeerAddress {
        .with {
            $0.identityKey = .init(advert.nodeID.bytes)
            $0.address = advert.endpoint.description
        }
    }
}
