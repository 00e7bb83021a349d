import Foundation
import OMSNode

/// Renders a node's status as the table `oms node status` prints.
enum StatusFormatter {
    static func render(_ status: NodeStatus) -> String {
        var lines: [String] = []
        lines.append("node     \(status.nodeID)")
        lines.append("network  \(status.network)   agent \(status.agent)")
        lines.append("trust    \(status.trust)")
        lines.append("listen   \(status.listen?.description ?? "-")   advertise \(status.advertise?.description ?? "-")")
        lines.append("uptime   \(duration(status.uptimeSeconds))")
        lines.append("")
        lines.append("sessions (\(status.sessions.count))")
        if status.sessions.isEmpty {
            lines.append("  none")
        } else {
            lines.append(row(["PEER", "TRUST", "DIR", "ADDRESS", "RTT ms", "SRTT ms", "IN", "OUT", "UP"]))
            for s in status.sessions {
                lines.append(
                    row([
                        s.peer.short, s.peerTrust.name, s.direction == "outbound" ? "out" : "in", s.remoteAddress,
                        s.latestRTTMilliseconds.map { String(format: "%.2f", $0) } ?? "-",
                        s.smoothedRTTMilliseconds.map { String(format: "%.2f", $0) } ?? "-",
                        bytes(s.bytesIn), bytes(s.bytesOut), duration(Date().timeIntervalSince(s.establishedAt)),
                    ]))
            }
        }
        let waiting = status.dialing.filter { $0.state != .connected }
        if !waiting.isEmpty {
            lines.append("")
            lines.append("dialling (\(waiting.count))")
            for d in waiting {
                lines.append("  \(d.endpoint)  \(d.state.rawValue)  failures \(d.failures)  \(d.lastError ?? "")")
            }
        }
        let membership = status.membership
        let counts = Dictionary(grouping: membership.members, by: \.status).mapValues(\.count)
        lines.append("")
        lines.append(
            "membership  incarnation \(membership.incarnation)  health \(membership.localHealth)  "
                + ["alive", "suspect", "dead"].map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: "  "))
        for member in membership.members where member.status != "alive" {
            lines.append("  \(member.node.short)  \(member.status)  incarnation \(member.incarnation)")
        }
        let refused = membership.refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append(
            "catalog     \(membership.catalogItems) public manifests" + (refused.isEmpty ? "" : "   refused: \(refused)")
                + (membership.banned.isEmpty ? "" : "   banned: \(membership.banned.map(\.short).joined(separator: " "))"))
        if !status.recentNotes.isEmpty {
            lines.append("")
            lines.append("recent signed notes")
            for n in status.recentNotes.suffix(5) {
                lines.append("  \(n.from.short): \(n.text)  [\(n.objectID.short)]")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static let widths = [18, 4, 22, 8, 8, 9, 9, 8]

    private static func row(_ cells: [String]) -> String {
        "  " + zip(cells, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\((s % 3600) / 60)m"
    }

    static func bytes(_ n: UInt64) -> String {
        n < 10_000 ? "\(n)B" : n < 10_000_000 ? "\(n / 1000)kB" : "\(n / 1_000_000)MB"
    }
}
