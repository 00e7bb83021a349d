import Foundation

/// Where a node keeps everything: one directory, readable by its owner only.
public struct DataDirectory: Sendable, Hashable {
    public let url: URL

    public init(_ path: String) {
        url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL
    }

    /// `$OMS_DATA_DIR`, else `~/.oms`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["OMS_DATA_DIR"] ?? "~/.oms"
    }

    public var path: String { url.path }
    /// The node's one SQLite database.
    public var database: URL { url.appendingPathComponent("node.sqlite") }
    /// The random key-encryption key when the owner chose no passphrase (mode 0600).
    public var keyFile: URL { url.appendingPathComponent("identity.key") }
    /// The address the running node listens on, written once it is bound (for scripts).
    public var listenAddressFile: URL { url.appendingPathComponent("listen.addr") }
    /// The owner API's address while the node runs: where `oms` finds it.
    public var apiAddressFile: URL { url.appendingPathComponent("api.addr") }
    /// The owner API's bearer tokens (mode 0600): the owner's, and a read-only one.
    public var ownerTokenFile: URL { url.appendingPathComponent("owner.token") }
    public var readTokenFile: URL { url.appendingPathComponent("read.token") }

    public var exists: Bool { FileManager.default.fileExists(atPath: database.path) }

    /// Creates the directory if it is missing and makes it owner-only (0700) either way: it
    /// holds the sealed identity key, which others could otherwise attack offline.
    public func create() throws {
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
    }
}
