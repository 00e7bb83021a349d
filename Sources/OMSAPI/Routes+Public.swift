import Foundation
import Hummingbird
import OMSCore
import OMSProtocol

/// What apps and people without a token may call: "sign in with my TCC" for apps this node
/// serves. Challenge, answer, session; each answer is accepted once.
extension OwnerAPI {
    func addPublicRoutes(_ appRoutes: RouterGroup<APIContext>) {
        appRoutes.post("apps/{app}/challenges") { _, context -> EditedResponse<ChallengeBody> in
            let app = try parse("app") { try Name(try context.parameter("app")) }
            let challenge = try apps.challenge(app: app)
            return EditedResponse(
                status: .created,
                response: ChallengeBody(audience: challenge.audience.rawValue, nonce: challenge.nonce.hex, expires: challenge.expires))
        }

        appRoutes.post("apps/{app}/sessions") { request, context -> EditedResponse<SessionBody> in
            let app = try parse("app") { try Name(try context.parameter("app")) }
            let body = try await request.decode(as: EnvelopeBody.self, context: context)
            let (token, session) = try apps.accept(app: app, answer: Array(body.envelope))
            return EditedResponse(
                status: .created, response: SessionBody(app: app.rawValue, persona: session.persona, token: token, expires: session.expires))
        }

        appRoutes.get("apps/{app}/session") { request, context -> SessionBody in
            let app = try parse("app") { try Name(try context.parameter("app")) }
            guard let token = BearerAuthentication.token(in: request), let session = apps.session(app: app, token: String(token))
            else {
                throw APIError(
                    .unauthorized, code: "unauthorized", "no live session for this token: sign in again",
                    headers: [.wwwAuthenticate: "Bearer realm=\"\(app)\""])
            }
            return SessionBody(app: app.rawValue, persona: session.persona, token: nil, expires: session.expires)
        }
    }
}
