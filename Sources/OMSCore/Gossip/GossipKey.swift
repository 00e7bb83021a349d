import OMSProtocol

/// What a gossiped item is about, and so which item it supersedes: a community's manifest
/// announcement (protocol-spec §17) or a TCF's location record (§18). Their ids are both 32
/// bytes; the kind keeps a community and a TCF apart even if their bytes met.
public enum GossipKey: Hashable, Sendable, CustomStringConvertible {
    case community(TCCID)
    case location(TCFID)

    public var bytes: [UInt8] {
        switch self {
        case .community(let id): id.bytes
        case .location(let id): id.bytes
        }
    }

    public var description: String {
        switch self {
        case .community(let id): "community \(id.short)"
        case .location(let id): "location of \(id.short)"
        }
    }
}
