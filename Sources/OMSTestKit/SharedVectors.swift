import Foundation

/// Finds the outside test vectors in `../shared/vectors/` (beside the project root), which the
/// project reads in place and never copies in. `OMS_VECTORS_DIR` overrides the location.
public enum SharedVectors {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "test vectors not found at \(path): clone the project beside shared/ or set OMS_VECTORS_DIR"
        }
    }

    /// The project root, found from this source file's path (Sources/OMSTestKit/SharedVectors.swift).
    public static var projectRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["OMS_VECTORS_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return projectRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors")
    }

    /// The bytes of `relativePath` under the vectors directory, e.g. `wycheproof/ed25519_test.json`.
    public static func data(_ relativePath: String) throws -> Data {
        let url = directory.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: url.path) }
        return try Data(contentsOf: url)
    }
}
