/// Bech32m (BIP 350) text encoding: a human-readable prefix, a separator `1`, base-32 data and
/// a six-character BCH checksum that detects any error in up to four characters and any swap of
/// two adjacent characters. OMS uses it for every id a person might read, paste or type.
public enum Bech32m {
    static let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let checksumConstant: UInt32 = 0x2bc8_30a3
    /// BIP 173/350's limit. OMS ids carry 32 bytes (52 characters) plus prefix and checksum, at
    /// most 66 characters, so the limit costs nothing and keeps this a conforming decoder.
    public static let maximumLength = 90

    static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
        public enum Reason: Hashable, Sendable {
            case tooLong, mixedCase, noSeparator, invalidCharacter(Character), badChecksum, badPadding, emptyPrefix
        }
        public let reason: Reason
        public var description: String {
            switch reason {
            case .tooLong: "longer than \(Bech32m.maximumLength) characters"
            case .mixedCase: "mixes upper and lower case"
            case .noSeparator: "has no '1' between prefix and data"
            case .invalidCharacter(let c): "contains '\(c)', which is not in the bech32 alphabet"
            case .badChecksum: "checksum does not match (a character is mistyped or missing)"
            case .badPadding: "has non-zero padding bits"
            case .emptyPrefix: "has an empty prefix"
            }
        }
    }

    static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> i) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    static func expand(_ prefix: [UInt8]) -> [UInt8] {
        prefix.map { $0 >> 5 } + [0] + prefix.map { $0 & 31 }
    }

    /// Regroups bits, e.g. 8-bit bytes into 5-bit symbols and back.
    static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0, bits = 0
        var out: [UInt8] = []
        let maxv = (1 << to) - 1
        for value in data {
            acc = (acc << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> bits) & maxv))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxv)) }
        } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
            return nil
        }
        return out
    }

    /// Encodes `bytes` under the lower-case `prefix`.
    public static func encode(prefix: String, bytes: [UInt8]) -> String {
        let hrp = Array(prefix.utf8)
        let data = convertBits(bytes, from: 8, to: 5, pad: true)!
        let mod = polymod(expand(hrp) + data + [0, 0, 0, 0, 0, 0]) ^ checksumConstant
        let checksum = (0..<6).map { UInt8((mod >> (5 * (5 - $0))) & 31) }
        return prefix + "1" + String(decoding: (data + checksum).map { alphabet[Int($0)] }, as: UTF8.self)
    }

    /// Decodes a bech32m string into its (lower-case) prefix and bytes.
    public static func decode(_ text: String) throws(DecodingError) -> (prefix: String, bytes: [UInt8]) {
        let utf8 = Array(text.utf8)
        guard utf8.count <= maximumLength else { throw DecodingError(reason: .tooLong) }
        let hasLower = utf8.contains { (97...122).contains($0) }
        let hasUpper = utf8.contains { (65...90).contains($0) }
        guard !(hasLower && hasUpper) else { throw DecodingError(reason: .mixedCase) }
        let lower = utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")), lower.count - sep - 1 >= 6 else {
            throw DecodingError(reason: .noSeparator)
        }
        guard sep > 0 else { throw DecodingError(reason: .emptyPrefix) }
        let hrp = Array(lower[..<sep])
        for c in hrp where !(33...126).contains(c) { throw DecodingError(reason: .invalidCharacter(Character(UnicodeScalar(c)))) }
        var values: [UInt8] = []
        for c in lower[(sep + 1)...] {
            guard c < 128, reverse[Int(c)] >= 0 else {
                throw DecodingError(reason: .invalidCharacter(Character(UnicodeScalar(c))))
            }
            values.append(UInt8(reverse[Int(c)]))
        }
        guard polymod(expand(hrp) + values) == checksumConstant else { throw DecodingError(reason: .badChecksum) }
        guard let bytes = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else {
            throw DecodingError(reason: .badPadding)
        }
        return (String(decoding: hrp, as: UTF8.self), bytes)
    }
}
