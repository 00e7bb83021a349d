import ArgumentParser
import Foundation
import OMSAPI
import OMSNode

extension DataDirectoryOptions {
    /// The running node's API, or a clear "start the node" error.
    func client() throws -> OwnerAPIClient { try OwnerAPIClient.forDataDirectory(directory) }
}

/// Options of every command that works inside one TCC.
struct TCCOptions: ParsableArguments {
    @Option(help: "The TCC: its id, or its name.") var tcc: String
}

/// An API path from segments, each percent-encoded (names and ids need none, but typed text may).
func apiPath(_ segments: String..., query: [String: String?] = [:]) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: "/?#")
    var path = "/v1/" + segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
    let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }.sorted { $0.name < $1.name }
    if !items.isEmpty {
        var components = URLComponents()
        components.queryItems = items
        path += "?" + (components.percentEncodedQuery ?? "")
    }
    return path
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder.api
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Writes bytes the owner asked to keep (an archive, a signed claim) readable by them only.
func writePrivateFile(_ bytes: some Collection<UInt8>, to path: String) throws {
    let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
        throw ValidationError("cannot write \(path)")
    }
}

func readFile(_ path: String) throws -> Data {
    do {
        return try Data(contentsOf: URL(fileURLWithPath: (path as NSString).expandingTildeInPath))
    } catch {
        throw ValidationError("cannot read \(path): \(error.localizedDescription)")
    }
}

/// A time typed as ISO 8601 (`2026-11-26T10:00:00Z`), or nil when none was given.
func isoDate(_ text: String?) throws -> Date? {
    try text.map { t in
        guard let date = ISO8601DateFormatter().date(from: t) else { throw ValidationError("'\(t)' is not an ISO 8601 time") }
        return date
    }
}

/// "1,2.5,3" as numbers (a histogram's edges, quantiles' fractions, a region).
func numberList(_ text: String?) throws -> [Double]? {
    try text.map { t in
        let parts = t.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ $0 != nil }) else { throw ValidationError("'\(t)' is not a list of numbers") }
        return parts.map { $0! }
    }
}

/// "30d", "12h", "90m", "45s" or plain seconds.
func parseDuration(_ text: String) throws -> UInt64 {
    let units: [Character: UInt64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    if let unit = text.last, let factor = units[unit], let count = UInt64(text.dropLast()) { return count * factor }
    if let seconds = UInt64(text) { return seconds }
    throw ValidationError("'\(text)' is not a duration: use e.g. 45s, 90m, 12h or 30d")
}

func column(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
}
