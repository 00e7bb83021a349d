import CSodium

/// BLAKE2b (RFC 7693), plain or keyed. OMS content ids are its 32-byte form; Noise uses the
/// 64-byte form.
public enum BLAKE2b {
    /// Noise's HASHLEN and BLOCKLEN for BLAKE2b.
    public static let maxOutputLength = 64
    public static let blockLength = 128

    public static func hash(_ data: UnsafeRawBufferPointer, outputLength: Int = 32, key: [UInt8] = []) -> [UInt8] {
        Sodium.ensureReady()
        precondition((16...64).contains(outputLength), "BLAKE2b output length must be 16...64")
        precondition(key.count <= 64, "BLAKE2b key must be at most 64 bytes")
        var out = [UInt8](repeating: 0, count: outputLength)
        key.withUnsafeBytes { k in
            _ = crypto_generichash(
                &out, outputLength, data.bytePointer, UInt64(data.count), k.count == 0 ? nil : k.bytePointer, k.count)
        }
        return out
    }

    public static func hash(_ data: [UInt8], outputLength: Int = 32, key: [UInt8] = []) -> [UInt8] {
        data.withUnsafeBytes { hash($0, outputLength: outputLength, key: key) }
    }

    /// Incremental hashing, for inputs made of several parts (HMAC, file digests).
    /// libsodium's state struct is 64-byte aligned and does not import into Swift, so it lives
    /// in raw storage of `crypto_generichash_statebytes()` bytes.
    public struct Hasher: ~Copyable {
        private let state: UnsafeMutableRawPointer
        private let outputLength: Int

        public init(outputLength: Int = 32, key: [UInt8] = []) {
            Sodium.ensureReady()
            precondition((16...64).contains(outputLength))
            precondition(key.count <= 64, "BLAKE2b key must be at most 64 bytes")
            self.outputLength = outputLength
            state = .allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
            key.withUnsafeBytes { k in
                _ = crypto_generichash_init(OpaquePointer(state), k.count == 0 ? nil : k.bytePointer, k.count, outputLength)
            }
        }

        deinit {
            sodium_memzero(state, crypto_generichash_statebytes())
            state.deallocate()
        }

        public mutating func update(_ data: UnsafeRawBufferPointer) {
            _ = crypto_generichash_update(OpaquePointer(state), data.bytePointer, UInt64(data.count))
        }

        public mutating func update(_ data: [UInt8]) {
            data.withUnsafeBytes { update($0) }
        }

        public consuming func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: outputLength)
            _ = crypto_generichash_final(OpaquePointer(state), &out, outputLength)
            return out
        }
    }
}
