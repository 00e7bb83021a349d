import Foundation
import Hummingbird
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

extension OwnerAPI {
    func addClaimRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("tccs/{tcc}/claims") { request, context -> [ClaimRecord] in
            let reference = try context.parameter("tcc")
            let role = try request.uri.queryParameters.get("role").map { text in
                guard let role = ClaimRecord.Role(rawValue: text) else {
                    throw APIError(.badRequest, code: "invalidArgument", "role is 'issued' or 'held', not '\(text.printable(limit: 40))'")
                }
                return role
            }
            let type = try request.uri.queryParameters.get("type").map { text in try parse("type") { try ClaimType(text) } }
            return try await blocking { try host.claims(of: try host.tcc(reference), role: role, type: type) }
        }

        v1.post("tccs/{tcc}/claims") { request, context -> EditedResponse<ClaimRecord> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: IssueClaimRequest.self, context: context)
            let subject = try parse("subject") { try PartyID(parsing: body.subject) }
            let type = try parse("type") { try ClaimType(body.type) }
            let record = try await blocking {
                let tcc = try host.tcc(reference)
                let persona = try body.persona.map { try host.persona($0, of: tcc) }
                return try host.issueClaim(
                    by: tcc, as: persona, about: subject, type: type, value: body.value, validFor: body.validForSeconds,
                    revocable: body.revocable)
            }
            return EditedResponse(status: .created, response: record)
        }

        v1.post("tccs/{tcc}/held-claims") { request, context -> EditedResponse<ClaimRecord> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: EnvelopeBody.self, context: context)
            let record = try await blocking { try host.holdClaim(Array(body.envelope), in: try host.tcc(reference)) }
            return EditedResponse(status: .created, response: record)
        }

        v1.post("tccs/{tcc}/claims/{claim}/presentations") { request, context -> EnvelopeBody in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let claimID = try parse("claim") { try ObjectID(parsing: try context.parameter("claim")) }
            let body = try await request.decode(as: PresentRequest.self, context: context)
            let audience = try parse("audience") { try Audience(body.audience) }
            guard let nonce = [UInt8](hexString: body.nonce), nonce.count == ClaimPresentation.nonceLength else {
                throw APIError(.badRequest, code: "invalidArgument", "nonce: 32 bytes of hex, as the verifier gave it")
            }
            let presentation = try await blocking { try host.present(claimID, of: try host.tcc(reference), to: audience, nonce: nonce) }
            return EnvelopeBody(envelope: Data(presentation.envelope.bytes))
        }

        v1.post("tccs/{tcc}/claims/{claim}/revocation") { _, context -> EnvelopeBody in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let claimID = try parse("claim") { try ObjectID(parsing: try context.parameter("claim")) }
            let revocation = try await blocking { try host.revoke(claimID, of: try host.tcc(reference)) }
            return EnvelopeBody(envelope: Data(revocation.envelope.bytes))
        }

        v1.post("revocations") { request, context -> EditedResponse<ChangedResponse> in
            try context.requireOwner()
            let body = try await request.decode(as: EnvelopeBody.self, context: context)
            _ = try await blocking { try host.acceptRevocation(Array(body.envelope)) }
            return EditedResponse(status: .created, response: ChangedResponse(changed: true))
        }

        // Verifying changes nothing, so the read-only token may do it.
        v1.post("verifications") { request, context -> Verification in
            let body = try await request.decode(as: VerifyRequest.self, context: context)
            return try await blocking { try verify(body) }
        }
    }

    /// A claim or a presentation, judged by its envelope type; a refusal is an answer here
    /// (valid: false with the code), not an HTTP error: the request itself was fine.
    func verify(_ body: VerifyRequest) throws -> Verification {
        let bytes = Array(body.envelope)
        let type = try? Envelope(decoding: bytes, maximumPayload: 1 << 16).type
        let now = host.unixNow
        if type == ClaimPresentation.type {
            guard let audienceText = body.audience, let nonceText = body.nonce else {
                throw APIError(.badRequest, code: "invalidArgument", "a presentation is verified against an audience and the nonce you gave")
            }
            let audience = try parse("audience") { try Audience(audienceText) }
            guard let nonce = [UInt8](hexString: nonceText) else {
                throw APIError(.badRequest, code: "invalidArgument", "nonce: hex, as you gave it to the presenter")
            }
            do {
                let presentation = try host.verifier.verify(presentation: bytes, audience: audience, nonce: nonce, at: now)
                return Verification(
                    valid: true, kind: "presentation", claim: ClaimSummary(presentation.claim),
                    presenter: presentation.claim.claim.subject.description, error: nil)
            } catch {
                return Verification(valid: false, kind: "presentation", claim: nil, presenter: nil, error: .init(code: error.code.name, message: error.context))
            }
        }
        do {
            let claim = try host.verifier.verify(claim: bytes, at: now)
            return Verification(valid: true, kind: "claim", claim: ClaimSummary(claim), presenter: nil, error: nil)
        } catch {
            return Verification(valid: false, kind: "claim", claim: nil, presenter: nil, error: .init(code: error.code.name, message: error.context))
        }
    }
}
