import OMSCrypto

/// A manifest as a log carries it: the exact bytes members sign, their hash, and what they say.
/// Parsed once when the event is opened, so that the fold never reads YAML.
public struct ManifestDocument: Hashable, Sendable {
    public let bytes: [UInt8]
    public let hash: [UInt8]
    public let manifest: Manifest

    public init(bytes: [UInt8]) throws(ManifestError) {
        guard !bytes.isEmpty, bytes.count <= Manifest.maximumBytes else {
            throw ManifestError(problems: [
                ManifestProblem(path: "", line: nil, message: "\(bytes.count) bytes; a manifest is 1 to \(Manifest.maximumBytes)")
            ])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ManifestError(problems: [ManifestProblem(path: "", line: nil, message: "not UTF-8 text")])
        }
        manifest = try Manifest(yaml: text)
        self.bytes = bytes
        hash = Manifest.hash(bytes)
    }

    public init(yaml text: String) throws(ManifestError) { try self.init(bytes: Array(text.utf8)) }

    public static func == (a: Self, b: Self) -> Bool { a.hash == b.hash }
    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}
