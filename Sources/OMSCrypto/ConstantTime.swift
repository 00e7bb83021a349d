import CSodium

/// Comparisons whose running time does not depend on where the inputs first differ.
public enum ConstantTime {
    /// True when both buffers have the same length and the same bytes. The length itself is
    /// not secret, so a length mismatch returns early.
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        Sodium.ensureReady()
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return sodium_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
    }

    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in equals(pa, pb) } }
    }
}
