import Foundation
import OMSProtocol

/// The frames that carry items and digests (protocol-spec §17), each bounded before anything
/// is built from it.
public enum DisseminationWire {
    public static func announcements(_ items: [[UInt8]]) -> WireFrame {
        var frame = WireFrame()
        frame.announcements = .with { $0.items = items.map { Data($0) } }
        return frame
    }

    public static func digest(_ entries: [DigestEntry<GossipKey>], reply: Bool) -> WireFrame {
        var frame = WireFrame()
        frame.digest = .with {
            $0.reply = reply
            $0.entries = entries.map { entry in
                .with {
                    $0.key = Data(entry.key.bytes)
                    if case .location = entry.key { $0.kind = .tcfLocation }
                    $0.version = entry.version
                    $0.content = Data(entry.content.bytes)
                }
            }
        }
        return frame
    }

    /// The items of an `Announcements` frame: at most `maximum` (`oversized` otherwise).
    public static func items(of wire: WireAnnouncements, maximum: Int) throws(GossipError) -> [[UInt8]] {
        guard wire.items.count <= maximum else { throw GossipError(.oversized, "\(wire.items.count) items in one frame; at most \(maximum)") }
        return wire.items.map { Array($0) }
    }

    /// The entries of a `Digest` frame: at most `maximum` (`oversized`), each id 32 bytes and
    /// of a known kind (`malformed`).
    public static func entries(of wire: WireDigest, maximum: Int) throws(GossipError) -> [DigestEntry<GossipKey>] {
        guard wire.entries.count <= maximum else { throw GossipError(.oversized, "\(wire.entries.count) digest entries; at most \(maximum)") }
        var entries: [DigestEntry<GossipKey>] = []
        entries.reserveCapacity(wire.entries.count)
        for entry in wire.entries {
            guard entry.key.count == 32, let content = try? ObjectID(bytes: Array(entry.content)) else {
                throw GossipError(.malformed, "a digest entry's key and content are 32 bytes each")
            }
            let key: GossipKey
            switch entry.kind {
            case .manifest: key = .community(TCCID(uncheckedBytes: Array(entry.key)))
            case .tcfLocation: key = .location(TCFID(uncheckedBytes: Array(entry.key)))
            case .UNRECOGNIZED(let kind): throw GossipError(.malformed, "a digest entry of unknown kind \(kind)")
            }
            entries.append(DigestEntry(key: key, version: entry.version, content: content))
        }
        return entries
    }
}
