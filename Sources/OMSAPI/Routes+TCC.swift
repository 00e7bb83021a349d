import Foundation
import Hummingbird
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

extension OwnerAPI {
    func addTCCRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("tccs/{tcc}") { _, context -> TCCRecord in
            let reference = try context.parameter("tcc")
            return try await blocking { try host.tcc(reference) }
        }

        v1.get("tccs/{tcc}/personas") { _, context -> [PersonaRecord] in
            let reference = try context.parameter("tcc")
            return try await blocking { try host.personas(of: try host.tcc(reference)) }
        }

        v1.post("tccs/{tcc}/personas") { request, context -> EditedResponse<PersonaRecord> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: CreatePersonaRequest.self, context: context)
            let name = try parse("context") { try Name(body.context) }
            let record = try await blocking { try host.createPersona(in: try host.tcc(reference), context: name) }
            return EditedResponse(status: .created, response: record)
        }

        v1.get("tccs/{tcc}/persona-links") { _, context -> [PersonaLinkRecord] in
            let reference = try context.parameter("tcc")
            return try await blocking { try host.links(of: try host.tcc(reference)) }
        }

        v1.post("tccs/{tcc}/persona-links") { request, context -> EditedResponse<PersonaLinkRecord> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: LinkPersonasRequest.self, context: context)
            let record = try await blocking {
                let tcc = try host.tcc(reference)
                return try host.link(try host.persona(body.first, of: tcc), try host.persona(body.second, of: tcc), of: tcc)
            }
            return EditedResponse(status: .created, response: record)
        }

        v1.get("tccs/{tcc}/audit") { request, context -> [AuditEntryBody] in
            let reference = try context.parameter("tcc")
            let since = try request.uri.queryParameters.get("since").map { text in
                try parse("since") {
                    guard let date = ISO8601DateFormatter().date(from: text) else { throw HostingError(.invalidArgument, "'\(text)' is not an ISO 8601 time") }
                    return date
                }
            }
            let kind = try request.uri.queryParameters.get("kind").map { text in try parse("kind") { try AuditKind(text) } }
            return try await blocking { try host.auditEntries(of: try host.tcc(reference), since: since, kind: kind).map(AuditEntryBody.init) }
        }

        v1.get("tccs/{tcc}/audit/verification") { _, context -> AuditVerificationBody in
            let reference = try context.parameter("tcc")
            let result = try await blocking { try host.verifyAudit(of: try host.tcc(reference)) }
            return AuditVerificationBody(
                intact: result.problems.isEmpty, entries: result.entries, checkpoints: result.checkpoints,
                problems: result.problems.map { .init(kind: $0.kind.rawValue, sequence: $0.sequence, message: $0.detail) })
        }

        v1.post("tccs/{tcc}/sign-ins") { request, context -> SignInAnswer in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: SignInRequest.self, context: context)
            let challenge = try parse("challenge") {
                guard let nonce = [UInt8](hexString: body.challenge.nonce) else {
                    throw IdentityError(.malformed, "the nonce is 32 bytes of hex")
                }
                return try SignInChallenge(audience: try Audience(body.challenge.audience), nonce: nonce, expires: body.challenge.expires)
            }
            let response = try await blocking { try host.answerSignIn(challenge, for: try host.tcc(reference), persona: body.persona) }
            return SignInAnswer(envelope: Data(response.envelope.bytes), persona: response.persona)
        }
    }
}
