import OMSCrypto
import OMSProtocol

/// The payload layout of section 15: written here, read here, and nowhere else.
extension CommunityEvent {
    public func encodePayload() -> [UInt8] {
        var bytes: [UInt8] = [Self.version, body.kind.rawValue]
        bytes += community?.bytes ?? [UInt8](repeating: 0, count: 32)
        bytes.appendBigEndian(time)
        bytes.append(UInt8(parents.count))
        for parent in parents { bytes += parent.bytes }
        switch body {
        case .create(let group, let tcc, let node, let manifest):
            bytes.append(group.rawValue)
            bytes += tcc.bytes + node.bytes
            bytes.appendManifest(manifest)
        case .join(let hash, let tcc, let node, let evidence):
            bytes += hash + tcc.bytes + node.bytes
            bytes.appendBigEndian(UInt32(evidence.count))
            bytes += evidence
        case .leave: break
        case .action(let action): bytes.appendActionBody(action)
        case .propose(let action):
            bytes.append(action.kind.rawValue)
            bytes.appendActionBody(action)
        case .vote(let proposal, let yes):
            bytes += proposal.bytes
            bytes.append(yes ? 1 : 0)
        case .enact(let proposal): bytes += proposal.bytes
        case .consent(let hash): bytes += hash
        }
        return bytes
    }

    init(decoding payload: [UInt8]) throws(CommunityError) {
        var reader = ByteReader(payload)
        guard let version = reader.readByte() else { throw CommunityError(.malformed, "an empty event") }
        guard version == Self.version else {
            throw CommunityError(.malformed, "event version \(version); this node reads version \(Self.version)")
        }
        guard let kindByte = reader.readByte(), let kind = Kind(rawValue: kindByte) else {
            throw CommunityError(.malformed, "an event kind this node does not know (1 to 17)")
        }
        let communityBytes = try reader.communityBytes(32, "community")
        let community = communityBytes.allSatisfy { $0 == 0 } ? nil : TCCID(uncheckedBytes: communityBytes)
        guard let time = reader.readUInt64() else { throw CommunityError(.malformed, "truncated in the time") }
        guard let parentCount = reader.readByte() else { throw CommunityError(.malformed, "truncated before the parents") }
        guard parentCount <= Self.maximumParents else {
            throw CommunityError(.malformed, "\(parentCount) parents; an event has at most \(Self.maximumParents)")
        }
        var parents: [ObjectID] = []
        for _ in 0..<parentCount { parents.append(ObjectID(uncheckedBytes: try reader.communityBytes(32, "parents"))) }
        let body: Body
        switch kind {
        case .create:
            guard let groupByte = reader.readByte(), let group = Group(rawValue: groupByte) else {
                throw CommunityError(.malformed, "a create event's group is 1 (community) or 2 (institution)")
            }
            let tcc = TCCID(uncheckedBytes: try reader.communityBytes(32, "tcc"))
            let node = try reader.nodeKey("node")
            body = .create(group: group, tcc: tcc, node: node, manifest: try reader.manifest())
        case .join:
            let hash = try reader.communityBytes(32, "manifest hash")
            let tcc = TCCID(uncheckedBytes: try reader.communityBytes(32, "tcc"))
            let node = try reader.nodeKey("node")
            guard let length = reader.readUInt32() else { throw CommunityError(.malformed, "truncated before the evidence") }
            guard length <= Self.maximumEvidence else {
                throw CommunityError(.malformed, "evidence of \(length) bytes; at most \(Self.maximumEvidence)")
            }
            body = .join(manifestHash: hash, tcc: tcc, node: node, evidence: try reader.communityBytes(Int(length), "evidence"))
        case .leave: body = .leave
        case .propose:
            guard let actionByte = reader.readByte() else { throw CommunityError(.malformed, "truncated before the action") }
            guard let actionKind = Kind(rawValue: actionByte), actionKind.isAction else {
                throw CommunityError(.malformed, "action kind \(actionByte) is not one of 3, 4, 6 to 11, 16, 17")
            }
            body = .propose(try reader.actionBody(actionKind))
        case .vote:
            let proposal = ObjectID(uncheckedBytes: try reader.communityBytes(32, "proposal"))
            body = .vote(proposal: proposal, yes: try reader.communityFlag("choice"))
        case .enact: body = .enact(proposal: ObjectID(uncheckedBytes: try reader.communityBytes(32, "proposal")))
        case .consent: body = .consent(manifestHash: try reader.communityBytes(32, "manifest hash"))
        default: body = .action(try reader.actionBody(kind))
        }
        guard reader.remaining == 0 else { throw CommunityError(.malformed, "\(reader.remaining) trailing bytes after the \(kind) body") }
        if kind == .create, community != nil { throw CommunityError(.malformed, "a create event's community is 32 zero bytes") }
        try self.init(community: community, time: time, parents: parents, body: body)
    }
}

extension [UInt8] {
    fileprivate mutating func appendManifest(_ manifest: ManifestDocument) {
        appendBigEndian(UInt32(manifest.bytes.count))
        self += manifest.bytes
    }

    fileprivate mutating func appendActionBody(_ action: CommunityEvent.Action) {
        switch action {
        case .approve(let persona), .reinstate(let persona), .invite(let persona): self += persona.bytes
        case .reject(let persona, let reason), .suspend(let persona, let reason):
            self += persona.bytes
            appendShortText(reason)
        case .role(let persona, let grant, let name):
            self += persona.bytes
            append(grant ? 1 : 0)
            appendShortText(name)
        case .app(let add, let name):
            append(add ? 1 : 0)
            appendShortText(name)
        case .manifest(let manifest): appendManifest(manifest)
        case .affiliate(let institution, let key, let node, let hash): self += institution.bytes + key.bytes + node.bytes + hash
        case .disaffiliate(let institution): self += institution.bytes
        }
    }
}

extension ByteReader {
    fileprivate mutating func communityBytes(_ count: Int, _ field: String) throws(CommunityError) -> [UInt8] {
        guard let bytes = readArray(count) else { throw CommunityError(.malformed, "truncated in the \(field)") }
        return bytes
    }

    fileprivate mutating func nodeKey(_ field: String) throws(CommunityError) -> NodeID {
        NodeID(uncheckedBytes: try communityBytes(32, field))
    }

    fileprivate mutating func communityFlag(_ field: String) throws(CommunityError) -> Bool {
        guard let flag = readByte() else { throw CommunityError(.malformed, "truncated in the \(field)") }
        guard flag <= 1 else { throw CommunityError(.malformed, "the \(field) is \(flag), not 0 or 1") }
        return flag == 1
    }

    fileprivate mutating func text(_ field: String) throws(CommunityError) -> String {
        guard let length = readByte(), let bytes = read(Int(length)) else { throw CommunityError(.malformed, "truncated in the \(field)") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CommunityError(.malformed, "the \(field) is not UTF-8") }
        return text
    }

    fileprivate mutating func manifest() throws(CommunityError) -> ManifestDocument {
        guard let length = readUInt32() else { throw CommunityError(.malformed, "truncated before the manifest") }
        guard (1...UInt32(Manifest.maximumBytes)).contains(length) else {
            throw CommunityError(.malformed, "a manifest of \(length) bytes; 1 to \(Manifest.maximumBytes)")
        }
        let bytes = try communityBytes(Int(length), "manifest")
        do {
            return try ManifestDocument(bytes: bytes)
        } catch {
            throw CommunityError(.malformed, "not a valid manifest: \(error.problems.first?.description ?? "")")
        }
    }

    fileprivate mutating func actionBody(_ kind: CommunityEvent.Kind) throws(CommunityError) -> CommunityEvent.Action {
        func persona(_ reader: inout ByteReader) throws(CommunityError) -> PersonaID {
            PersonaID(uncheckedBytes: try reader.communityBytes(32, "persona"))
        }
        switch kind {
        case .approve: return .approve(try persona(&self))
        case .reject: return .reject(try persona(&self), reason: try text("reason"))
        case .suspend: return .suspend(try persona(&self), reason: try text("reason"))
        case .reinstate: return .reinstate(try persona(&self))
        case .invite: return .invite(try persona(&self))
        case .role:
            let member = try persona(&self)
            let grant = try communityFlag("grant")
            return .role(member, grant: grant, name: try text("role"))
        case .app:
            let add = try communityFlag("add")
            return .app(add: add, name: try text("app name"))
        case .manifest: return .manifest(try manifest())
        case .affiliate:
            let institution = TCCID(uncheckedBytes: try communityBytes(32, "institution"))
            let key = try persona(&self)
            let node = try nodeKey("node")
            return .affiliate(institution: institution, key: key, node: node, manifestHash: try communityBytes(32, "manifest hash"))
        case .disaffiliate: return .disaffiliate(institution: TCCID(uncheckedBytes: try communityBytes(32, "institution")))
        default: throw CommunityError(.malformed, "\(kind) is not an action")
        }
    }
}
