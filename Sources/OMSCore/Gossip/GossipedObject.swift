import OMSProtocol

/// An item gossip carries, opened and checked from its bytes alone by its envelope type.
public enum GossipedObject: Sendable, Hashable {
    case announcement(ManifestAnnouncement)
    case location(TCFLocation)

    public static func open(_ bytes: [UInt8]) throws(GossipError) -> GossipedObject {
        let envelope: Envelope
        do {
            envelope = try Envelope(decoding: bytes, maximumPayload: ManifestAnnouncement.maximumPayload)
        } catch {
            throw GossipError(error)
        }
        switch envelope.type {
        case ManifestAnnouncement.type: return .announcement(try ManifestAnnouncement.open(bytes))
        case TCFLocation.type: return .location(try TCFLocation.open(bytes))
        default: throw GossipError(.malformed, "an item of type \(envelope.type): gossip carries manifest announcements and TCF locations")
        }
    }

    public var item: GossipItem<GossipKey> {
        switch self {
        case .announcement(let announcement): announcement.item
        case .location(let location): location.item
        }
    }
}
