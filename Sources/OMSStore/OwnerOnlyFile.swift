import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OMSCrypto

/// Small secret files in the data directory (the identity's key file, the API tokens): made
/// with mode 0600 and never overwritten, and read only if they are plain files of this user
/// that nobody else can read (as ssh insists for its keys). What is checked is the open file
/// itself (`fstat`, no links followed), and the bytes go straight into wiped storage.
enum OwnerOnlyFile {
    /// Writes `bytes` to a new file; false, and nothing written, if the file already exists.
    @discardableResult
    static func create(_ url: URL, _ bytes: SecureBytes) throws -> Bool {
        let fd = Glibc.open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { return false }
            throw StoreError(.badKeyFile, "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw StoreError(.badKeyFile, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        return true
    }

    /// Reads a file of `sizes` bytes; `what` names it in refusals ("key file", "API token") and
    /// `missing` says what to do when it is not there.
    static func read(_ url: URL, what: String, sizes: ClosedRange<Int>, missing: String) throws -> SecureBytes {
        let fd = Glibc.open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw StoreError(.badKeyFile, "\(what) \(url.path) is a symbolic link; it must be a plain file")
            }
            throw StoreError(.badKeyFile, "\(what) \(url.path) is missing: \(missing)")
        }
        defer { Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw StoreError(.badKeyFile, "\(what) \(url.path) is not a plain file")
        }
        guard info.st_uid == geteuid() else {
            throw StoreError(.badKeyFile, "\(what) \(url.path) belongs to another user (uid \(info.st_uid))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw StoreError(
                .badKeyFile,
                "\(what) \(url.path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))): run chmod 600 on it")
        }
        let size = Int(info.st_size)
        guard sizes.contains(size) else {
            let expected = sizes.count == 1 ? "exactly \(sizes.lowerBound)" : "\(sizes.lowerBound) to \(sizes.upperBound)"
            throw StoreError(.badKeyFile, "\(what) \(url.path) must hold \(expected) bytes")
        }
        return try SecureBytes(count: size) { buffer in
            guard Glibc.read(fd, buffer.baseAddress, buffer.count) == buffer.count else {
                throw StoreError(.badKeyFile, "cannot read \(what) \(url.path): \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// The API token files, read and made through `OwnerOnlyFile` (OMSAPI keeps what they mean).
public enum TokenFile {
    /// The token in `url`, made (64 hex digits of fresh randomness) if the file is missing.
    public static func loadOrCreate(_ url: URL) throws -> String {
        try OwnerOnlyFile.create(url, SecureBytes(copying: Array((SecureRandom.bytes(32).hex + "\n").utf8)))
        return try read(url)
    }

    /// A token file's text, refused if others can read it or it is not 32 to 256 bytes.
    public static func read(_ url: URL) throws -> String {
        let bytes = try OwnerOnlyFile.read(
            url, what: "the API token", sizes: 32...256, missing: "the node makes it when it starts ('oms node run')")
        return String(decoding: bytes.exposedBytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
