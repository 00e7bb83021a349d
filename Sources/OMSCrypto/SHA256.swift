import CSodium

/// SHA-256 (FIPS 180-4), for the TPM's world only: PCRs, object names, quote digests and PCR
/// policies are SHA-256 there. OMS's own hashes are BLAKE2b.
public enum SHA256 {
    public static let outputLength = 32

    public static func hash(_ data: [UInt8]) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: outputLength)
        _ = crypto_hash_sha256(&out, data, UInt64(data.count))
        return out
    }
}
