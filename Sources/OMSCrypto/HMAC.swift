/// HMAC (RFC 2104) and the HKDF of the Noise specification (section 4.3) over BLAKE2b-512.
/// Noise defines both over its HASH function rather than using BLAKE2b's keyed mode, so this is
/// the textbook construction with BLAKE2b's 128-byte block.
public enum HMACBLAKE2b {
    public static let outputLength = BLAKE2b.maxOutputLength

    public static func authenticationCode(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var k = key.count > BLAKE2b.blockLength ? BLAKE2b.hash(key, outputLength: 64) : key
        k += [UInt8](repeating: 0, count: BLAKE2b.blockLength - k.count)
        var inner = BLAKE2b.Hasher(outputLength: 64)
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(data)
        let innerDigest = inner.finalize()
        var outer = BLAKE2b.Hasher(outputLength: 64)
        outer.update(k.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// Noise `HKDF(chaining_key, input_key_material, num_outputs)`: two or three 64-byte outputs.
    public static func noiseHKDF(chainingKey: [UInt8], inputKeyMaterial: [UInt8], outputs: Int) -> [[UInt8]] {
        precondition(outputs == 2 || outputs == 3, "Noise HKDF yields two or three outputs")
        let tempKey = authenticationCode(key: chainingKey, data: inputKeyMaterial)
        let output1 = authenticationCode(key: tempKey, data: [0x01])
        let output2 = authenticationCode(key: tempKey, data: output1 + [0x02])
        guard outputs == 3 else { return [output1, output2] }
        let output3 = authenticationCode(key: tempKey, data: output2 + [0x03])
        return [output1, output2, output3]
    }
}
