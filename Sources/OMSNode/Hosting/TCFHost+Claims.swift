import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// Claims a TCC issues, holds, presents and revokes, and sign-in answers: everything here
/// signs with a key of the TCC or one of its personas, and is audited.
extension TCFHost {
    /// Who speaks: the TCC's root key, or one of its personas.
    func signer(_ persona: PersonaRecord?, of tcc: TCCRecord) throws -> (party: PartyID, key: Ed25519.PrivateKey) {
        if let persona { return (.persona(persona.id), try personaKey(persona, of: tcc)) }
        return (.tcc(tcc.id), try rootKey(of: tcc))
    }

    /// Issues and stores a claim by `tcc` (or one of its personas) about `subject`.
    public func issueClaim(
        by tcc: TCCRecord, as persona: PersonaRecord?, about subject: PartyID, type: ClaimType, value: String,
        validFor seconds: UInt64, revocable: Bool
    ) throws -> ClaimRecord {
        guard (1...(100 * 365 * 86_400)).contains(seconds) else {
            throw HostingError(.invalidArgument, "a claim is valid for 1 second to 100 years")
        }
        let (issuer, key) = try signer(persona, of: tcc)
        let issued = unixNow
        let claim = try Claim(
            issuer: issuer, subject: subject, type: type, value: value, issued: issued, expires: issued + seconds,
            revocationID: revocable ? SecureRandom.bytes(Claim.revocationIDLength) : nil
        ).signed(with: key)
        try store.insertClaim(claim, tcc: tcc.id, role: .issued, at: now())
        try audit(tcc, .keyUse, ["action": "claim.issue", "claim": claim.id.description, "type": type.rawValue, "subject": subject.description])
        return ClaimRecord(claim, tcc: tcc.id, role: .issued, revoked: false)
    }

    /// Keeps a claim someone issued about this TCC or one of its personas, once it verifies.
    public func holdClaim(_ bytes: [UInt8], in tcc: TCCRecord) throws -> ClaimRecord {
        let claim = try verifier.verify(claim: bytes, at: unixNow)
        let subject = claim.claim.subject
        let ours: Bool
        switch subject {
        case .tcc(let id): ours = id == tcc.id
        case .persona(let id): ours = try store.persona(id)?.tcc == tcc.id
        case .node, .tcf: ours = false
        }
        guard ours else {
            throw HostingError(.notAllowed, "the claim is about \(subject), which is neither \(tcc.name) nor one of its personas")
        }
        try store.insertClaim(claim, tcc: tcc.id, role: .held, at: now())
        try audit(tcc, .dataAccess, ["action": "claim.hold", "claim": claim.id.description, "issuer": claim.claim.issuer.description])
        return ClaimRecord(claim, tcc: tcc.id, role: .held, revoked: false)
    }

    public func claims(of tcc: TCCRecord, role: ClaimRecord.Role? = nil, type: ClaimType? = nil) throws -> [ClaimRecord] {
        try store.claims(tcc: tcc.id, role: role, type: type)
    }

    /// Presents a held claim to `audience`, signed by its subject (the TCC or a persona of it).
    public func present(_ claimID: ObjectID, of tcc: TCCRecord, to audience: Audience, nonce: [UInt8]) throws -> ClaimPresentation {
        guard let claim = try store.claim(claimID, tcc: tcc.id) else {
            throw HostingError(.notFound, "\(tcc.name) holds no claim \(claimID.short)")
        }
        let key: Ed25519.PrivateKey
        switch claim.claim.subject {
        case .tcc(let id) where id == tcc.id:
            key = try rootKey(of: tcc)
        case .persona(let id):
            guard let persona = try store.persona(id), persona.tcc == tcc.id else { fallthrough }
            key = try personaKey(persona, of: tcc)
        default:
            throw HostingError(.notAllowed, "only the claim's subject \(claim.claim.subject) can present it")
        }
        let presentation = try ClaimPresentation.present(claim, to: audience, nonce: nonce, at: unixNow, with: key)
        try audit(tcc, .dataAccess, ["action": "claim.present", "claim": claimID.description, "audience": audience.rawValue])
        return presentation
    }

    /// Revokes a claim this TCC issued, and returns the signed revocation to pass on.
    public func revoke(_ claimID: ObjectID, of tcc: TCCRecord) throws -> ClaimRevocation {
        guard let claim = try store.claim(claimID, tcc: tcc.id, role: .issued) else {
            throw HostingError(.notFound, "\(tcc.name) issued no claim \(claimID.short)")
        }
        guard let revocationID = claim.claim.revocationID else {
            throw HostingError(.notAllowed, "claim \(claimID.short) was issued without a revocation id: it lapses at its expiry only")
        }
        let key: Ed25519.PrivateKey
        switch claim.claim.issuer {
        case .persona(let id):
            guard let persona = try store.persona(id) else { throw HostingError(.notFound, "the issuing persona is gone") }
            key = try personaKey(persona, of: tcc)
        default:
            key = try rootKey(of: tcc)
        }
        let revocation = try ClaimRevocation.sign(revocationID: revocationID, at: unixNow, with: key)
        try store.insertRevocation(revocation)
        try audit(tcc, .keyUse, ["action": "claim.revoke", "claim": claimID.description])
        return revocation
    }

    /// Learns a revocation another issuer published; it is signed, so anyone may hand it in.
    public func acceptRevocation(_ bytes: [UInt8]) throws -> ClaimRevocation {
        let revocation = try ClaimRevocation(opening: bytes)
        try store.insertRevocation(revocation)
        return revocation
    }

    /// Checks claims and presentations against this node's clock and known revocations.
    public var verifier: ClaimVerifier {
        let store = store
        return ClaimVerifier(isRevoked: { (try? store.isRevoked($0)) ?? false })
    }

    /// Answers an app's sign-in challenge with the persona for that app (made on first use).
    public func answerSignIn(_ challenge: SignInChallenge, for tcc: TCCRecord, persona reference: String?) throws -> SignInResponse {
        guard challenge.expires > unixNow else {
            throw IdentityError(.expired, "the challenge lapsed at \(challenge.expires): ask the app for a new one")
        }
        let persona: PersonaRecord
        if let reference {
            persona = try self.persona(reference, of: tcc)
        } else {
            let context = try Name(challenge.audience.rawValue)
            persona = try self.persona(of: tcc, context: context)
        }
        let response = SignInResponse.answer(challenge, at: unixNow, with: try personaKey(persona, of: tcc))
        try audit(tcc, .login, ["app": challenge.audience.rawValue, "persona": persona.id.description])
        return response
    }
}
