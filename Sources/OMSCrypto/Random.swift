import CSodium

/// The operating system's CSPRNG through libsodium.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.bytePointer, $0.count) }
        return out
    }

    /// A uniformly distributed value in `0..<upperBound` without modulo bias.
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        Sodium.ensureReady()
        return randombytes_uniform(upperBound)
    }

    /// A random UInt64, for jitter and nonces that only need unpredictability.
    public static func uint64() -> UInt64 {
        let b = bytes(8)
        return b.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }
}
