import OMSCrypto
import OMSProtocol

/// The rules of section 15 ("Applying an event"): each event checked against the state before
/// it, then applied. Every check precedes every change, so a refused event leaves the state as
/// it was without the fold copying it.
extension CommunityState {
    public mutating func apply(_ signed: SignedCommunityEvent) throws(CommunityError) {
        let event = signed.event
        let author = signed.author
        let time = event.time
        if case .create(let group, let tcc, let node, let manifest) = event.body {
            guard community == nil else { throw CommunityError(.wrongCommunity, "the community is already created") }
            community = TCCID(uncheckedBytes: signed.id.bytes)
            self.group = group
            self.manifest = manifest
            version = 1
            consentEpoch = manifest.hash
            let roles = Set(manifest.manifest.governance.roles).intersection(["admin", "member"])
            members[author] = Member(tcc: tcc, node: node, status: .active, since: time, left: 0, consented: consentEpoch, roles: roles)
            return
        }
        guard let manifest, community == event.community else {
            throw CommunityError(.wrongCommunity, "the event belongs to \(event.community?.short ?? "no community")")
        }
        switch event.body {
        case .create: preconditionFailure("handled above")
        case .join(let hash, let tcc, let node, let evidence):
            if let member = members[author], member.status != .left {
                throw CommunityError(.alreadyMember, "\(author.short) is already a member")
            }
            guard applicants[author] == nil else { throw CommunityError(.alreadyMember, "\(author.short) has already applied") }
            // One TCC, one membership: not a second persona of a member's TCC (counted twice
            // in answers), nor someone else's TCC (answering for them after they left).
            guard !members.values.contains(where: { $0.tcc == tcc && $0.status != .left }), !applicants.values.contains(where: { $0.tcc == tcc })
            else {
                throw CommunityError(.alreadyMember, "TCC \(tcc.short) is already a member, or has applied, under another persona")
            }
            guard hash == manifest.hash else {
                throw CommunityError(.wrongManifest, "the join signs manifest \(hash.hex.prefix(16)), not the one in force")
            }
            let admitted: Bool
            switch manifest.manifest.joining {
            case .open, .approval:
                guard evidence.isEmpty else { throw CommunityError(.badEvidence, "joining mode takes no evidence") }
                admitted = manifest.manifest.joining == .open
            case .invitation:
                guard evidence.isEmpty else { throw CommunityError(.badEvidence, "joining mode takes no evidence") }
                guard invitations.contains(author) else { throw CommunityError(.notInvited, "\(author.short) holds no invitation") }
                invitations.remove(author)
                admitted = true
            case .claim(let type, let issuer):
                try checkEvidence(evidence, author: author, type: type, issuer: issuer, hash: hash, time: time)
                admitted = true
            }
            if admitted {
                admit(author, tcc: tcc, node: node, since: time, consented: consentEpoch)
            } else {
                applicants[author] = Applicant(tcc: tcc, node: node, joinEvent: signed.id, consented: consentEpoch)
            }
        case .leave:
            if applicants.removeValue(forKey: author) != nil { return }
            guard var member = members[author], member.status != .left else {
                throw CommunityError(.notMember, "\(author.short) is not a member")
            }
            try requireAnotherAdmin(besides: author, "leave")
            member.status = .left
            member.left = time
            member.roles = []
            members[author] = member
        case .consent(let hash):
            guard let member = members[author], member.status != .left else {
                throw CommunityError(.notMember, "\(author.short) is not a member")
            }
            guard hash == manifest.hash else { throw CommunityError(.wrongManifest, "consent is to the manifest in force") }
            guard member.consented != consentEpoch else {
                throw CommunityError(.alreadyConsented, "\(author.short) already consents to these terms")
            }
            members[author]?.consented = consentEpoch
        case .action(let action):
            try requireActive(author)
            guard manifest.manifest.decision(action.decisionKind) == .admin, isAdmin(author) else {
                throw CommunityError(
                    .notAuthorized,
                    manifest.manifest.decision(action.decisionKind) == .admin
                        ? "\(author.short) is not an admin" : "\(action.decisionKind) is decided by vote: propose it")
            }
            try check(action)
            perform(action, by: author, at: time)
        case .propose(let action):
            try requireActive(author)
            let decision = manifest.manifest.decision(action.decisionKind)
            let period: Int
            switch decision {
            case .admin: throw CommunityError(.notByVote, "an admin decides \(action.decisionKind): no vote")
            case .majority(let seconds), .quorum(_, _, let seconds): period = seconds
            }
            try check(action)
            let eligible = Set(members.filter { $0.value.status == .active }.keys)
            proposals[signed.id] = Proposal(
                author: author, action: action, decision: decision, deadline: time + UInt64(period) * 1000, eligible: eligible,
                votes: [:], status: .open)
        case .vote(let id, let yes):
            try requireActive(author)
            let proposal = try openProposal(id)
            guard proposal.eligible.contains(author) else {
                throw CommunityError(.notEligible, "\(author.short) was not a member when the proposal opened")
            }
            guard proposal.votes[author] == nil else { throw CommunityError(.doubleVote, "\(author.short) has already voted") }
            guard time <= proposal.deadline else { throw CommunityError(.closed, "the vote closed at \(proposal.deadline)") }
            proposals[id]?.votes[author] = yes
        case .enact(let id):
            try requireActive(author)
            let proposal = try openProposal(id)
            guard time >= proposal.deadline || proposal.votes.count == proposal.eligible.count else {
                throw CommunityError(.tooEarly, "the vote runs until \(proposal.deadline) and not everyone has voted")
            }
            if proposal.carried, (try? check(proposal.action)) != nil {
                proposals[id]?.status = .passed
                perform(proposal.action, by: nil, at: time)
            } else {
                proposals[id]?.status = .failed
            }
        }
    }

    private func requireActive(_ author: PersonaID) throws(CommunityError) {
        guard isActive(author) else { throw CommunityError(.notMember, "\(author.short) is not an active member") }
    }

    private func openProposal(_ id: ObjectID) throws(CommunityError) -> Proposal {
        guard let proposal = proposals[id] else { throw CommunityError(.unknownProposal, "no proposal \(id.short)") }
        guard proposal.status == .open else { throw CommunityError(.closed, "proposal \(id.short) is \(proposal.status)") }
        return proposal
    }

    private mutating func admit(_ persona: PersonaID, tcc: TCCID, node: NodeID, since: UInt64, consented: [UInt8]) {
        let roles: Set<String> = manifest?.manifest.governance.roles.contains("member") == true ? ["member"] : []
        members[persona] = Member(tcc: tcc, node: node, status: .active, since: since, left: 0, consented: consented, roles: roles)
    }

    private func checkEvidence(
        _ evidence: [UInt8], author: PersonaID, type: String, issuer: String?, hash: [UInt8], time: UInt64
    ) throws(CommunityError) {
        guard let community else { return }
        do {
            let presentation = try ClaimVerifier().verify(
                presentation: evidence, audience: try Audience(community.description), nonce: hash, at: time / 1000)
            guard presentation.envelope.signer.rawRepresentation == author.bytes else {
                throw CommunityError(.badEvidence, "the presentation is not by \(author.short)")
            }
            guard presentation.claim.claim.type.rawValue == type else {
                throw CommunityError(.badEvidence, "the claim is of type \(presentation.claim.claim.type), not \(type)")
            }
            if let issuer, presentation.claim.claim.issuer.description != issuer {
                throw CommunityError(.badEvidence, "the claim is issued by \(presentation.claim.claim.issuer), not \(issuer)")
            }
        } catch let error as CommunityError {
            throw error
        } catch {
            throw CommunityError(.badEvidence, "the presentation does not verify: \(error)")
        }
    }

    /// Whether `action` applies to the state as it is, whoever decided it.
    func check(_ action: CommunityEvent.Action) throws(CommunityError) {
        switch action {
        case .approve(let persona), .reject(let persona, _):
            guard applicants[persona] != nil else { throw CommunityError(.notApplicant, "\(persona.short) has not applied") }
        case .invite(let persona):
            if let member = members[persona], member.status != .left {
                throw CommunityError(.alreadyMember, "\(persona.short) is already a member")
            }
            guard !invitations.contains(persona) else { throw CommunityError(.alreadyMember, "\(persona.short) is already invited") }
        case .suspend(let persona, _):
            guard members[persona]?.status == .active else { throw CommunityError(.notMember, "\(persona.short) is not an active member") }
            try requireAnotherAdmin(besides: persona, "be suspended")
        case .reinstate(let persona):
            guard members[persona]?.status == .suspended else { throw CommunityError(.notMember, "\(persona.short) is not suspended") }
        case .role(let persona, let grant, let name):
            guard manifest?.manifest.governance.roles.contains(name) == true else {
                throw CommunityError(.invalidAction, "the manifest has no role \(name)")
            }
            guard let member = members[persona], member.status == .active else {
                throw CommunityError(.notMember, "\(persona.short) is not an active member")
            }
            guard member.roles.contains(name) != grant else {
                throw CommunityError(.invalidAction, "\(persona.short) \(grant ? "already holds" : "does not hold") \(name)")
            }
            if !grant, name == "admin" { try requireAnotherAdmin(besides: persona, "lose the admin role") }
        case .app(let add, let name):
            if add {
                guard manifest?.manifest.apps.contains(name) == true else {
                    throw CommunityError(.invalidAction, "the manifest does not allow the app \(name)")
                }
                guard !apps.contains(name) else { throw CommunityError(.invalidAction, "\(name) is already registered") }
            } else {
                guard apps.contains(name) else { throw CommunityError(.invalidAction, "\(name) is not registered") }
            }
        case .manifest(let document):
            guard document.hash != manifest?.hash else { throw CommunityError(.invalidAction, "that manifest is already in force") }
        case .affiliate(let institution, let key, let node, let hash):
            guard group == .community else { throw CommunityError(.invalidAction, "an institution's members are communities; it joins none") }
            guard institution != community else { throw CommunityError(.invalidAction, "a community does not join itself") }
            guard members.values.contains(where: { $0.node == node && $0.status == .active }) else {
                throw CommunityError(.invalidAction, "node \(node.short) hosts no active member: it may not hold the community's key")
            }
            guard affiliations[institution] != Affiliation(key: key, node: node, manifestHash: hash) else {
                throw CommunityError(.invalidAction, "that affiliation to \(institution.short) is already in force")
            }
        case .disaffiliate(let institution):
            guard affiliations[institution] != nil else {
                throw CommunityError(.invalidAction, "the community is not affiliated to \(institution.short)")
            }
        }
    }

    /// While the manifest has an admin decide anything, the last admin may not stop being one
    /// (revoked, suspended, leaving): nobody would be left to take those decisions.
    private func requireAnotherAdmin(besides persona: PersonaID, _ what: String) throws(CommunityError) {
        guard isAdmin(persona), manifest?.manifest.governance.decisions.values.contains(.admin) == true,
            members.values.count(where: { $0.status == .active && $0.roles.contains("admin") }) == 1
        else { return }
        throw CommunityError(.lastAdmin, "\(persona.short) is the last admin and may not \(what): an admin decides some things here")
    }

    /// Applies a checked action at `time`; `author` is the admin who took it, nil for a passed
    /// proposal.
    private mutating func perform(_ action: CommunityEvent.Action, by author: PersonaID?, at time: UInt64) {
        switch action {
        case .approve(let persona):
            guard let applicant = applicants.removeValue(forKey: persona) else { return }
            admit(persona, tcc: applicant.tcc, node: applicant.node, since: time, consented: applicant.consented)
        case .reject(let persona, _): applicants.removeValue(forKey: persona)
        case .invite(let persona): invitations.insert(persona)
        case .suspend(let persona, _): members[persona]?.status = .suspended
        case .reinstate(let persona): members[persona]?.status = .active
        case .role(let persona, let grant, let name):
            if grant { members[persona]?.roles.insert(name) } else { members[persona]?.roles.remove(name) }
        case .app(let add, let name):
            if add { apps.insert(name) } else { apps.remove(name) }
        case .manifest(let document):
            let old = manifest?.manifest.consent
            manifest = document
            version += 1
            if document.manifest.consent != old { consentEpoch = document.hash }
            let roles = Set(document.manifest.governance.roles)
            for persona in members.keys where !(members[persona]?.roles.isSubset(of: roles) ?? true) {
                members[persona]?.roles.formIntersection(roles)
            }
            apps.formIntersection(document.manifest.apps)
            if let author { members[author]?.consented = consentEpoch }
        case .affiliate(let institution, let key, let node, let hash):
            affiliations[institution] = Affiliation(key: key, node: node, manifestHash: hash)
        case .disaffiliate(let institution): affiliations.removeValue(forKey: institution)
        }
    }
}
