import OMSCrypto
import OMSProtocol

/// A public community's manifest as gossip carries it (protocol-spec §17): signed by the
/// persona that founded the community, with the founding event, so that any node can check it
/// alone — the community's id is the create event's id, and the create event names its signer.
/// Later versions are signed by the same key; the catalog is a directory, not the authority:
/// joining still reads the log from the members' nodes, and the join signs the manifest hash
/// the log holds. Payload:
/// ```
/// layout u8 = 1 | community [32] | version u64 | create_len u32 | create
/// | manifest_len u32 | manifest
/// ```
public struct ManifestAnnouncement: Sendable, Hashable {
    public static let type = try! EnvelopeType("oms/manifest-announcement")
    static let layout: UInt8 = 1
    /// The largest create event and the largest manifest, with the fixed fields.
    public static let maximumPayload = 1 + 32 + 8 + 4 + (CommunityEvent.maximumPayload + 512) + 4 + Manifest.maximumBytes

    public let community: TCCID
    /// The manifest's version in the community's log: 1 for the founding one, raised by each
    /// accepted `manifest` decision.
    public let version: UInt64
    public let create: SignedCommunityEvent
    public let manifest: ManifestDocument
    /// The signed bytes; their object id is the item's content id.
    public let envelope: Envelope

    public var content: ObjectID { envelope.id }
    public var group: CommunityEvent.Group {
        if case .create(let group, _, _, _) = create.event.body { return group }
        return .community
    }

    /// Signs an announcement of `manifest` at `version` for the community `create` founded;
    /// `key` must be the key that signed `create`.
    public static func sign(
        create: SignedCommunityEvent, version: UInt64, manifest: ManifestDocument, with key: Ed25519.PrivateKey
    ) throws(GossipError) -> ManifestAnnouncement {
        var payload: [UInt8] = [layout]
        payload += create.communityID.bytes
        payload.appendBigEndian(version)
        payload.appendBigEndian(UInt32(create.envelope.bytes.count))
        payload += create.envelope.bytes
        payload.appendBigEndian(UInt32(manifest.bytes.count))
        payload += manifest.bytes
        return try check(Envelope.sign(type: type, payload: payload, with: key))
    }

    /// Opens and checks everything the bytes alone can show; `GossipError` says what failed.
    public static func open(_ bytes: [UInt8]) throws(GossipError) -> ManifestAnnouncement {
        let envelope: Envelope
        do {
            envelope = try Envelope.open(bytes, expecting: type, maximumPayload: maximumPayload)
        } catch {
            throw GossipError(error)
        }
        return try check(envelope)
    }

    static func check(_ envelope: Envelope) throws(GossipError) -> ManifestAnnouncement {
        var reader = ByteReader(envelope.payload)
        guard reader.readByte() == layout else { throw GossipError(.malformed, "an announcement of another layout") }
        guard let communityBytes = reader.readArray(32), let version = reader.readUInt64(), let createLength = reader.readUInt32(),
            createLength <= CommunityEvent.maximumPayload + 512, let createBytes = reader.readArray(Int(createLength)),
            let manifestLength = reader.readUInt32(), manifestLength <= Manifest.maximumBytes,
            let manifestBytes = reader.readArray(Int(manifestLength)), reader.remaining == 0
        else { throw GossipError(.malformed, "an announcement cut short, over a bound or with bytes left over") }
        // Stored as SQLite's signed 64-bit integer: a version past it is no version a log reaches.
        guard (1...UInt64(Int64.max)).contains(version) else {
            throw GossipError(.malformed, "manifest version \(version); versions are 1 to 2^63 - 1")
        }
        let create: SignedCommunityEvent
        do {
            create = try SignedCommunityEvent.open(createBytes)
        } catch {
            throw GossipError(error.code == .badSignature ? .badSignature : .malformed, "its create event: \(error.context)")
        }
        guard case .create(_, _, _, let founding) = create.event.body else {
            throw GossipError(.malformed, "the founding event is a \(create.event.body.kind), not a create")
        }
        let community = TCCID(uncheckedBytes: communityBytes)
        guard create.communityID == community else {
            throw GossipError(.malformed, "the create event founds \(create.communityID.short), not \(community.short)")
        }
        guard create.envelope.signer == envelope.signer else {
            throw GossipError(.wrongSigner, "signed by \(PersonaID(uncheckedBytes: envelope.signer.rawRepresentation).short), not the founder")
        }
        let manifest: ManifestDocument
        do {
            manifest = try ManifestDocument(bytes: manifestBytes)
        } catch {
            throw GossipError(.malformed, "its manifest: \(error.description.printable(limit: 200))")
        }
        guard version > 1 || manifest == founding else {
            throw GossipError(.malformed, "version 1 is the manifest the create event holds")
        }
        guard manifest.manifest.discovery == .public else {
            throw GossipError(.notPublic, "the manifest of \(community.short) does not say 'discovery: public'")
        }
        return ManifestAnnouncement(community: community, version: version, create: create, manifest: manifest, envelope: envelope)
    }

    /// As the dissemination layer keys, orders and dedupes it.
    public var item: GossipItem<GossipKey> { GossipItem(key: .community(community), version: version, content: content, bytes: envelope.bytes) }
}
