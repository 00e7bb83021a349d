import Foundation
import OMSStore

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on `node.lock` in the data directory, so two nodes never run on one
/// directory (they would fight over the database and the API's address file).
struct DataDirectoryLock {
    private let descriptor: Int32

    struct Held: Error, CustomStringConvertible {
        let path: String
        var description: String { "another node is already running on \(path); stop it first or use another --data-dir" }
    }

    init(_ directory: DataDirectory) throws {
        let path = directory.url.appendingPathComponent("node.lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Held(path: directory.path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Held(path: directory.path)
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
