import CoreMetrics

/// The node's metrics, declared in one place (swift-metrics; exported for Prometheus by
/// `oms node run`). Names follow Prometheus conventions, labels stay low-cardinality.
struct NodeMetrics: Sendable {
    let connectionsAccepted = Counter(label: "oms_connections_total", dimensions: [("direction", "inbound")])
    let connectionsDialled = Counter(label: "oms_connections_total", dimensions: [("direction", "outbound")])
    let dialFailures = Counter(label: "oms_dial_failures_total")
    let handshakesCompleted = Counter(label: "oms_handshakes_total", dimensions: [("result", "ok")])
    let handshakesFailed = Counter(label: "oms_handshakes_total", dimensions: [("result", "failed")])
    let handshakeDuration = Timer(label: "oms_handshake_duration_seconds", preferredDisplayUnit: .seconds)
    let sessions = Gauge(label: "oms_sessions")
    let bytesReceived = Counter(label: "oms_bytes_total", dimensions: [("direction", "in")])
    let bytesSent = Counter(label: "oms_bytes_total", dimensions: [("direction", "out")])
    let framesReceived = Counter(label: "oms_frames_total", dimensions: [("direction", "in")])
    let framesSent = Counter(label: "oms_frames_total", dimensions: [("direction", "out")])
    let roundTrip = Timer(label: "oms_rtt_seconds", preferredDisplayUnit: .seconds)
    let refusedConnections = Counter(label: "oms_refused_connections_total")
    let queriesReceived = Counter(label: "oms_queries_total", dimensions: [("result", "handled")])
    let queriesRefused = Counter(label: "oms_queries_total", dimensions: [("result", "rate-limited")])

    func sessionClosed(_ reason: String) {
        Counter(label: "oms_sessions_closed_total", dimensions: [("reason", reason)]).increment()
    }

    func membershipChange(_ status: String) {
        Counter(label: "oms_membership_changes_total", dimensions: [("status", status)]).increment()
    }

    func gossipRefused(_ code: String) {
        Counter(label: "oms_gossip_refused_total", dimensions: [("code", code)]).increment()
    }

    func protocolError(_ kind: String) {
        Counter(label: "oms_protocol_errors_total", dimensions: [("kind", kind)]).increment()
    }
}
