import Foundation
import Hummingbird
import OMSCrypto
import OMSStore

/// The API's two bearer tokens, kept as files of mode 0600 in the data directory
/// (`owner.token`, `read.token`): whoever can read the file is the owner, as with the
/// identity key. They are made on first start and kept; delete a file to rotate its token.
public struct APITokens: Sendable {
    let owner: [UInt8]
    let readOnly: [UInt8]

    public init(owner: String, readOnly: String) {
        self.owner = Array(owner.utf8)
        self.readOnly = Array(readOnly.utf8)
    }

    /// Reads the token files, creating any that is missing.
    public static func loadOrCreate(in directory: DataDirectory) throws -> APITokens {
        APITokens(
            owner: try TokenFile.loadOrCreate(directory.ownerTokenFile), readOnly: try TokenFile.loadOrCreate(directory.readTokenFile))
    }

    /// The scope `token` grants, compared in constant time.
    func scope(of token: Substring) -> APIScope? {
        let presented = Array(token.utf8)
        if ConstantTime.equals(presented, owner) { return .owner }
        if ConstantTime.equals(presented, readOnly) { return .readOnly }
        return nil
    }
}

/// Checks `Authorization: Bearer <token>` and records the scope; no token or a wrong one is
/// 401 with a `WWW-Authenticate` header, before any handler runs.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = APIContext
    let tokens: APITokens
    static let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"oms\""]

    /// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case), or nil:
    /// how owners, devices and apps' sessions all present theirs.
    static func token(in request: Request) -> Substring? {
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return header.dropFirst(7)
    }

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(
                .unauthorized, code: "unauthorized",
                "send 'Authorization: Bearer TOKEN' (the token is in owner.token or read.token in the data directory)",
                headers: Self.challenge)
        }
        guard let token = Self.token(in: request), let scope = tokens.scope(of: token) else {
            throw APIError(.unauthorized, code: "unauthorized", "the bearer token is not one of this node's tokens", headers: Self.challenge)
        }
        var context = context
        context.scope = scope
        context.logger[metadataKey: "api/scope"] = "\(scope.rawValue)"
        return try await next(request, context)
    }
}
