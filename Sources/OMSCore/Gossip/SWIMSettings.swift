/// The knobs of SWIM with Lifeguard (protocol-spec "Gossip"), in milliseconds and counts. The
/// defaults are memberlist's LAN profile (`DefaultLANConfig`), which has years of use behind
/// it: a probe a second, half a second for an ack, three indirect probes, and suspicion that
/// lasts 4·max(1, log10 n) probe intervals, up to six times that while nobody confirms it.
public struct SWIMSettings: Sendable, Hashable {
    /// How often a member is probed; Lifeguard stretches it by the local health score.
    public var probeInterval: UInt64 = 1000
    /// How long a direct probe waits for its ack before asking others to probe; stretched
    /// likewise.
    public var probeTimeout: UInt64 = 500
    /// How many members are asked to probe a target that did not answer directly.
    public var indirectChecks = 3
    /// An update is piggybacked `retransmitMultiplier · ⌈log10(n + 1)⌉` times.
    public var retransmitMultiplier = 4
    /// The least suspicion time is `suspicionMultiplier · max(1, log10 n)` probe intervals.
    public var suspicionMultiplier = 4
    /// The most suspicion time is this many times the least: Lifeguard shortens it from there
    /// as independent members confirm the suspicion.
    public var suspicionMaximumMultiplier = 6
    /// Lifeguard's local health: scores 0 to `awarenessMaximum - 1` multiply the probe interval
    /// and timeout by score + 1, so a node that is itself slow probes less eagerly.
    public var awarenessMaximum = 8
    /// Updates piggybacked on one message, at most: bounds every message.
    public var maximumPiggyback = 8
    /// How often queued updates are also pushed on their own, and to how many members: probes
    /// alone would spread news one member a period, far slower than a suspicion runs out.
    public var gossipInterval: UInt64 = 200
    public var gossipNodes = 3
    /// How often a node trades what it believes with one other (push-pull anti-entropy): what
    /// gossip lost on the way, or happened while a node was away, is caught up within this.
    public var pushPullInterval: UInt64 = 30_000
    /// Beliefs in one push-pull, at most: bounds the message and the work it makes.
    public var maximumPushPull = 4096
    /// How long a dead member is remembered (and its death gossiped) before it is forgotten
    /// and may join again.
    public var deadRetention: UInt64 = 30_000

    public init() {}

    /// memberlist's `DefaultLANConfig`.
    public static let lan = SWIMSettings()

    /// What these settings promise when one of `members` crashes: every live member declares it
    /// dead within this long (ms). Some member's probe finds it within three probe intervals
    /// (SWIM's expected first detection is e/(e−1) ≈ 1.6 of one); the suspicion then lasts at
    /// most its Lifeguard maximum, when nobody confirms it; and the death reaches everyone in
    /// a second of gossip rounds (⌈log n⌉ of them at most a few hundred ms).
    public func promisedDetection(members: Int) -> UInt64 {
        3 * probeInterval + SWIMSuspicion<Int>.minimum(members: members, settings: self) * UInt64(max(1, suspicionMaximumMultiplier)) + 1000
    }
}
