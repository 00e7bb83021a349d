import OMSCore
import OMSCrypto
import OMSProtocol

/// Public communities announce themselves (protocol-spec §17): the node that holds the
/// founder's persona signs an announcement of each manifest version and hands it to gossip.
extension Communities {
    /// Announces `community`'s manifest in force if it says `discovery: public` and this node
    /// holds the key that founded it; does nothing otherwise. Returns the announcement.
    @discardableResult
    public func announce(_ community: TCCID) async -> ManifestAnnouncement? {
        guard let announcement = try? announcement(of: community) else { return nil }
        await node.publish(announcement)
        return announcement
    }

    func announcement(of community: TCCID) throws -> ManifestAnnouncement? {
        let log = try log(community)
        guard let manifest = log.state.manifest, manifest.manifest.discovery == .public else { return nil }
        let create = log.create
        guard let persona = try host.store.persona(PersonaID(uncheckedBytes: create.envelope.signer.rawRepresentation)),
            let tcc = try host.store.tcc(persona.tcc)
        else { return nil }
        let key = try host.personaKey(persona, of: tcc)
        return try ManifestAnnouncement.sign(create: create, version: UInt64(log.state.version), manifest: manifest, with: key)
    }

    /// Announces after a change to the manifest in force, without holding up the caller.
    func announceLater(_ community: TCCID) {
        Task { await announce(community) }
    }
}
