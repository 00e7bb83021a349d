import Foundation
import Hummingbird
import NIOCore
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore
import OMSTrust

/// Every refusal the API sends: a status and `{"error": {"code": ..., "message": ...}}`,
/// where the code is the domain error's code (so scripts can branch on it) and the message
/// says what was wrong and what to do.
public struct APIError: HTTPResponseError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let headers: HTTPFields
    /// Where in a device's batch the fault is.
    public let location: APIErrorBody.Location?

    public init(
        _ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:], location: APIErrorBody.Location? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.location = location
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            APIErrorBody(error: .init(code: code, message: message, at: location)), from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// The error body, also what the client decodes.
public struct APIErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var code: String
        public var message: String
        public var at: Location?
    }

    /// The line (in the body as sent), record and field at fault in a refused batch.
    public struct Location: Codable, Sendable, Hashable {
        public var line: Int
        public var record: Int
        public var field: String?

        public init(line: Int, record: Int, field: String?) {
            self.line = line
            self.record = record
            self.field = field
        }
    }

    public var error: Detail
}

/// Turns every error a handler throws into an `APIError`: domain errors by their code,
/// Hummingbird's own (404, 413, bad JSON) by their status, and anything else into a 500 that
/// is logged rather than shown.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HostingError {
            throw APIError(Self.status(of: error), code: error.code.name, error.context)
        } catch let error as IdentityError {
            throw APIError(.unprocessableContent, code: error.code.name, error.description)
        } catch let refusal as BatchRefusal {
            throw APIError(
                .unprocessableContent, code: refusal.error.code.name, refusal.description,
                location: .init(line: refusal.line, record: refusal.record, field: refusal.field))
        } catch let error as DataError {
            throw APIError(error.code == .unknownStream ? .notFound : .badRequest, code: error.code.name, error.context)
        } catch let error as ExchangeError {
            throw APIError(.badRequest, code: error.code.name, error.description)
        } catch let error as CommunityError {
            // The log's rules refused the event: as every replica would.
            let status: HTTPResponse.Status =
                switch error.code {
                case .malformed: .badRequest
                case .notAuthorized, .notMember, .notEligible: .forbidden
                default: .conflict
                }
            throw APIError(status, code: error.code.name, error.description)
        } catch let error as CommunityHostError {
            let status: HTTPResponse.Status =
                switch error.code {
                case .notFound: .notFound
                case .notMember: .forbidden
                case .ambiguous, .invalidQuestion, .wrongGroup: .badRequest
                case .notAllowed: .forbidden
                default: .badGateway
                }
            throw APIError(status, code: error.code.name, error.context)
        } catch let error as MigrationError {
            let status: HTTPResponse.Status =
                switch error.code {
                case .badPolicy, .malformed: .badRequest
                default: .conflict
                }
            throw APIError(status, code: error.code.name, error.description)
        } catch let error as TrustError {
            throw APIError(.serviceUnavailable, code: "tpm", error.description)
        } catch let error as ManifestError {
            throw APIError(.unprocessableContent, code: "invalidManifest", error.description)
        } catch let error as PolicyError {
            throw APIError(.badRequest, code: error.code.name, error.description)
        } catch let error as StoreError {
            let status: HTTPResponse.Status = error.code == .invalidArgument ? .badRequest : .internalServerError
            throw APIError(status, code: error.code.name, error.context)
        } catch let error as NodeError {
            throw APIError(.badRequest, code: error.code.name, error.description)
        } catch let error as IdentifierError {
            // An id in a JSON body that does not parse: the decoder passes the id's own error up.
            throw APIError(.badRequest, code: "invalidArgument", error.description)
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(error.status), error.body ?? error.status.reasonPhrase)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "tooLarge", "the request body is larger than this route accepts")
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(error.status), error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["api/path": "\(request.uri.path)", "api/error": "\(error)"])
            throw APIError(.internalServerError, code: "internal", "the node failed to answer; its log says why")
        }
    }

    static func status(of error: HostingError) -> HTTPResponse.Status {
        switch error.code {
        case .notFound: .notFound
        case .duplicate, .stopped: .conflict
        case .notAllowed: .forbidden
        default: .badRequest
        }
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "notFound"
        case 413: "tooLarge"
        default: "http\(status.code)"
        }
    }
}
