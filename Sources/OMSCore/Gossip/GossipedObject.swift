import OMSProtocol

/// An item gossip carries, opened and checked from its bytes alone by its envelope type.
public enum GossipedObject: Sendable, Hashable {
    case announcement(ManifestAnnouncement)
    case location(TCFLocation)

    /// Decodes the envelope once (within the larger of the two payload bounds; a location's
    /// reader holds it to its exact length), checks the type before the signature, then reads
    /// the payload as that type.
    public static func open(_ bytes: [UInt8]) throws(GossipError) -> GossipedObject {
        let envelope: Envelope
        do {
            envelope = try Envelope(decoding: bytes, maximumPayload: ManifestAnnouncement.maximumPayload)
        } catch {
            throw GossipError(error)
        }
        guard [ManifestAnnouncement.type, TCFLocation.type].contains(envelope.type) else {
            throw GossipError(.malformed, "an item of type \(envelope.type): gossip carries manifest announcements and TCF locations")
        }
        do {
            try envelope.verify()
        } catch {
            throw GossipError(error)
        }
        return envelope.type == TCFLocation.type ? .location(try TCFLocation.read(envelope)) : .announcement(try ManifestAnnouncement.check(envelope))
    }

    public var item: GossipItem<GossipKey> {
        switch self {
        case .announcement(let announcement): announcement.item
        case .location(let location): location.item
        }
    }
}
