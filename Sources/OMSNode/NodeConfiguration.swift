import OMSCore
import OMSCrypto
import OMSProtocol

/// Everything a node is started with. Defaults suit a home node; the testnet shortens timers.
public struct NodeConfiguration: Sendable {
    public var identity: Ed25519.PrivateKey
    /// How the identity rests, stated in every handshake.
    public var trust: NodeTrust
    public var network: NetworkID
    /// Where to accept connections; nil for a node that only dials out.
    public var listen: Endpoint?
    /// The address peers should dial, if it differs from `listen` (e.g. listening on 0.0.0.0).
    public var advertise: Endpoint?
    /// Peers dialled at start, in addition to those in the store.
    public var bootstrap: [Endpoint]
    public var session: SessionInstance.Settings
    public var backoff: ReconnectBackoff.Settings
    public var limits: Limits
    /// "oms/<version>", sent in Hello.
    public var agent: String
    /// Greet every new peer with a signed note (what the demo shows).
    public var greetPeers: Bool
    /// SWIM with Lifeguard over the sessions (protocol-spec §17); memberlist's LAN profile.
    public var membership: SWIMSettings
    /// Gossip of public manifests.
    public var dissemination: DisseminationSettings
    /// Testnets only: the share of outgoing membership and gossip messages dropped on purpose,
    /// to show SWIM under loss on a kernel without netem. 0 on every real node.
    public var faultLoss: Double

    public struct Limits: Sendable, Hashable {
        /// Established sessions, all peers together.
        public var maximumSessions: Int
        /// Connections still in the handshake, all together: bounds the work strangers can cause.
        public var maximumPendingHandshakes: Int
        /// Connections still in the handshake from one IP address.
        public var maximumPendingPerAddress: Int
        public var handshakeTimeout: Duration
        public var connectTimeout: Duration
        public var maximumFrameLength: Int
        /// Addresses learned from peers that are dialled at once; more adverts are ignored, so
        /// a peer cannot grow our dial list without bound or aim us at many addresses.
        public var maximumLearnedPeers: Int
        /// Consecutive failed dials after which a learned address is forgotten.
        public var learnedPeerFailureLimit: Int
        /// Members of the gossip membership, at most: made-up identities cannot grow it further.
        public var maximumMembers: Int

        public init(
            maximumSessions: Int = 128, maximumPendingHandshakes: Int = 64, maximumPendingPerAddress: Int = 8,
            handshakeTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(5),
            maximumFrameLength: Int = SecureSession.defaultMaximumFrameLength, maximumLearnedPeers: Int = 64,
            learnedPeerFailureLimit: Int = 8, maximumMembers: Int = 1024
        ) {
            self.maximumMembers = maximumMembers
            self.maximumLearnedPeers = maximumLearnedPeers
            self.learnedPeerFailureLimit = learnedPeerFailureLimit
            self.maximumSessions = maximumSessions
            self.maximumPendingHandshakes = maximumPendingHandshakes
            self.maximumPendingPerAddress = maximumPendingPerAddress
            self.handshakeTimeout = handshakeTimeout
            self.connectTimeout = connectTimeout
            self.maximumFrameLength = maximumFrameLength
        }
    }

    public init(
        identity: Ed25519.PrivateKey, trust: NodeTrust, network: NetworkID, listen: Endpoint?, advertise: Endpoint? = nil,
        bootstrap: [Endpoint] = [], session: SessionInstance.Settings = .init(), backoff: ReconnectBackoff.Settings = .init(),
        limits: Limits = .init(), agent: String = "oms/\(OMSVersion.current)", greetPeers: Bool = true,
        membership: SWIMSettings = .lan, dissemination: DisseminationSettings = .init(), faultLoss: Double = 0
    ) {
        self.membership = membership
        self.dissemination = dissemination
        self.faultLoss = faultLoss
        self.identity = identity
        self.trust = trust
        self.network = network
        self.listen = listen
        self.advertise = advertise
        self.bootstrap = bootstrap
        self.session = session
        self.backoff = backoff
        self.limits = limits
        self.agent = agent
        self.greetPeers = greetPeers
    }
}

public enum OMSVersion {
    public static let current = "0.1.0"
}
