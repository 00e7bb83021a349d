import Foundation
import OMSCrypto
import OMSProtocol
import OMSStore
import Testing

/// A fresh data directory under the system temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let root: URL
    /// Where the node lives: not created, so `NodeStore.initialize` creates it.
    let data: DataDirectory

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-store-tests-\(UUID().uuidString)")
        data = DataDirectory(root.appendingPathComponent("node").path)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    /// Cheap argon2id limits (libsodium's minimum) so the tests run fast.
    static let fastArgon2 = Argon2id.Parameters(opsLimit: 1, memLimit: 8192)
    static let testNetwork = try! NetworkID("oms-store-test")

    func initialize(passphrase: String? = nil) throws -> (store: NodeStore, identity: Ed25519.PrivateKey) {
        try NodeStore.initialize(
            directory: data, network: Self.testNetwork, passphrase: passphrase, argon2: Self.fastArgon2)
    }
}

/// The POSIX permission bits of `url`.
func permissions(of url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return try #require(attributes[.posixPermissions] as? Int) & 0o777
}

/// Runs `body` and returns the `StoreError` it threw; records an issue if it threw nothing or
/// something else.
func storeError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> StoreError? {
    do {
        _ = try body()
        Issue.record("expected a StoreError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("expected a StoreError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
