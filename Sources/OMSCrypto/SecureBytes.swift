import CSodium

/// Secret bytes that are wiped with `sodium_memzero` when the last reference goes away, so a
/// key does not linger in freed heap memory. Immutable after creation; shareable across tasks.
public final class SecureBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    public var count: Int { storage.count }

    /// Copies `bytes` into fresh storage. The caller should wipe its own copy if it has one.
    public init(copying bytes: some Collection<UInt8>) {
        storage = .allocate(byteCount: bytes.count, alignment: 16)
        // Straight into the wiped storage: no temporary array left holding a copy of a key.
        _ = storage.initializeMemory(as: UInt8.self, from: bytes)
    }

    /// Allocates `count` bytes and lets `fill` write them (for key generation in place).
    /// `storage` is assigned only after `fill` succeeds: once every stored property is set, a
    /// throwing class initialiser still runs `deinit`, which would wipe and free it a second time.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        do {
            try fill(buffer)
        } catch {
            sodium_memzero(buffer.bytePointer, buffer.count)
            buffer.deallocate()
            throw error
        }
        storage = buffer
    }

    /// Fresh random secret bytes.
    public static func random(count: Int) -> SecureBytes {
        Sodium.ensureReady()
        return SecureBytes(count: count) { randombytes_buf($0.bytePointer, $0.count) }
    }

    deinit {
        sodium_memzero(storage.bytePointer, storage.count)
        storage.deallocate()
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(storage))
    }

    /// A plain copy; use only where the bytes must leave (export, encryption under another key).
    public var exposedBytes: [UInt8] { Array(UnsafeRawBufferPointer(storage)) }
}

extension SecureBytes: Equatable {
    /// Constant-time comparison.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }
}
