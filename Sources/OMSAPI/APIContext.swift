import Foundation
import Hummingbird

/// What a bearer token lets its holder do. The owner token may change anything; the
/// read-only token may look (for dashboards and monitoring) and change nothing.
public enum APIScope: String, Sendable, Codable {
    case owner
    case readOnly = "read-only"
}

/// The per-request context: Hummingbird's core storage plus the scope the token granted.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `BearerAuthentication`; nil on public routes.
    public var scope: APIScope?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// JSON bodies are small; archives have their own limit on their own route.
    public var maxUploadSize: Int { 1 << 20 }

    public var responseEncoder: JSONEncoder { .api }
    public var requestDecoder: JSONDecoder { .api }

    /// Refuses a read-only token on a route that changes something (403).
    func requireOwner() throws {
        guard scope == .owner else {
            throw APIError(.forbidden, code: "forbidden", "this needs the owner token; the read-only token can only look")
        }
    }
}

extension JSONEncoder {
    /// Sorted keys and ISO 8601 dates: stable output for people, scripts and tests.
    public static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    public static var api: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
