/// Reads TPM 2.0 marshalled structures (Part 2 of the spec: big-endian integers, `TPM2B`s as a
/// 16-bit size and that many bytes) from untrusted bytes. Every size is checked against what
/// is left and against the structure's own maximum before anything is copied.
struct TPMReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func uint8(_ what: String) throws(TrustError) -> UInt8 {
        guard remaining >= 1 else { throw Self.short(what) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16(_ what: String) throws(TrustError) -> UInt16 {
        guard remaining >= 2 else { throw Self.short(what) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func uint32(_ what: String) throws(TrustError) -> UInt32 {
        UInt32(try uint16(what)) << 16 | UInt32(try uint16(what))
    }

    mutating func uint64(_ what: String) throws(TrustError) -> UInt64 {
        UInt64(try uint32(what)) << 32 | UInt64(try uint32(what))
    }

    mutating func fixed(_ count: Int, _ what: String) throws(TrustError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw Self.short(what) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A `TPM2B`: its size, bounded by `maximum` (the structure's largest in the spec), then its bytes.
    mutating func sized(_ what: String, maximum: Int) throws(TrustError) -> [UInt8] {
        let size = Int(try uint16(what))
        guard size <= maximum else {
            throw TrustError(.malformed, "\(what) is \(size) bytes; at most \(maximum)")
        }
        return try fixed(size, what)
    }

    func end(_ what: String) throws(TrustError) {
        guard remaining == 0 else { throw TrustError(.malformed, "\(remaining) bytes after \(what)") }
    }

    static func short(_ what: String) -> TrustError { TrustError(.malformed, "\(what) is cut short") }
}

/// Writes TPM 2.0 marshalled structures.
struct TPMWriter {
    private(set) var bytes: [UInt8] = []

    mutating func uint8(_ value: UInt8) { bytes.append(value) }
    mutating func uint16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
    mutating func uint32(_ value: UInt32) {
        uint16(UInt16(value >> 16))
        uint16(UInt16(value & 0xffff))
    }
    mutating func raw(_ value: [UInt8]) { bytes += value }
    mutating func sized(_ value: [UInt8]) {
        uint16(UInt16(value.count))
        bytes += value
    }
}

/// The TPM 2.0 constants OMS uses (Part 2, tables of `TPM_ALG_ID`, `TPM_ST`, `TPM_ECC_CURVE`,
/// `TPMA_OBJECT`, `TPM_CC`).
enum TPMConstant {
    static let algECC: UInt16 = 0x0023
    static let algKeyedHash: UInt16 = 0x0008
    static let algSHA256: UInt16 = 0x000B
    static let algNull: UInt16 = 0x0010
    static let algAES: UInt16 = 0x0006
    static let algCFB: UInt16 = 0x0043
    static let algECDSA: UInt16 = 0x0018
    static let curveP256: UInt16 = 0x0003
    static let generatedValue: UInt32 = 0xff54_4347
    static let attestQuote: UInt16 = 0x8018
    static let attestCertify: UInt16 = 0x8017
    static let commandPolicyPCR: UInt32 = 0x0000_017F

    enum Attribute {
        static let fixedTPM: UInt32 = 1 << 1
        static let fixedParent: UInt32 = 1 << 4
        static let sensitiveDataOrigin: UInt32 = 1 << 5
        static let userWithAuth: UInt32 = 1 << 6
        static let noDA: UInt32 = 1 << 10
        static let restricted: UInt32 = 1 << 16
        static let decrypt: UInt32 = 1 << 17
        static let sign: UInt32 = 1 << 18
    }
}
