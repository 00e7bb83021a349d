/// Round-trip time of a session, smoothed as TCP does (RFC 6298: SRTT with gain 1/8, RTTVAR
/// with gain 1/4), so one slow pong does not make a peer look far away.
public struct RTTEstimator: Sendable, Hashable {
    public private(set) var latest: Duration?
    public private(set) var smoothed: Duration?
    public private(set) var variation: Duration?
    public private(set) var samples = 0

    public init() {}

    public mutating func add(_ sample: Duration) {
        samples += 1
        latest = sample
        guard let srtt = smoothed, let rttvar = variation else {
            smoothed = sample
            variation = sample / 2
            return
        }
        let deviation = srtt > sample ? srtt - sample : sample - srtt
        variation = rttvar * 0.75 + deviation * 0.25
        smoothed = srtt * 0.875 + sample * 0.125
    }
}
