import Foundation
import Hummingbird
#if canImport(Glibc)
import Glibc
#endif
import OMSCrypto
import OMSStore

/// The API's two bearer tokens, kept as files of mode 0600 in the data directory
/// (`owner.token`, `read.token`): whoever can read the file is the owner, as with the
/// identity key. They are made on first start and kept; delete a file to rotate its token.
public struct APITokens: Sendable {
    let owner: [UInt8]
    let readOnly: [UInt8]

    public static func ownerFile(_ directory: DataDirectory) -> URL { directory.url.appendingPathComponent("owner.token") }
    public static func readOnlyFile(_ directory: DataDirectory) -> URL { directory.url.appendingPathComponent("read.token") }

    public init(owner: String, readOnly: String) {
        self.owner = Array(owner.utf8)
        self.readOnly = Array(readOnly.utf8)
    }

    /// Reads the token files, creating any that is missing.
    public static func loadOrCreate(in directory: DataDirectory) throws -> APITokens {
        APITokens(
            owner: try loadOrCreate(ownerFile(directory)), readOnly: try loadOrCreate(readOnlyFile(directory)))
    }

    static func loadOrCreate(_ url: URL) throws -> String {
        let token = SecureRandom.bytes(32).map { String(format: "%02x", $0) }.joined()
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            defer { close(fd) }
            let line = Array((token + "\n").utf8)
            guard write(fd, line, line.count) == line.count, fsync(fd) == 0 else {
                throw StoreError(.badKeyFile, "cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
            return token
        }
        return try read(url)
    }

    /// Reads a token file, refusing one others can read (as ssh does with keys).
    public static func read(_ url: URL) throws -> String {
        let fd = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError(.badKeyFile, "cannot open the API token \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 == 0 else {
            throw StoreError(.badKeyFile, "the API token \(url.path) must be a plain file readable by its owner only (chmod 600)")
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = Glibc.read(fd, &buffer, buffer.count)
        guard count > 0 else { throw StoreError(.badKeyFile, "the API token \(url.path) is empty") }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 32 else { throw StoreError(.badKeyFile, "the API token \(url.path) is too short") }
        return text
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

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(
                .unauthorized, code: "unauthorized",
                "send 'Authorization: Bearer TOKEN' (the token is in owner.token or read.token in the data directory)",
                headers: Self.challenge)
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer ", let scope = tokens.scope(of: header.dropFirst(7)) else {
            throw APIError(.unauthorized, code: "unauthorized", "the bearer token is not one of this node's tokens", headers: Self.challenge)
        }
        var context = context
        context.scope = scope
        context.logger[metadataKey: "api/scope"] = "\(scope.rawValue)"
        return try await next(request, context)
    }
}
