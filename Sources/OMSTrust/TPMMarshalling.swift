import CTSS2

/// Between OMS's byte arrays and tss2's C structures, through tss2's own marshalling: the
/// bytes are the TPM's wire form, so what OMS stores and sends is exactly what the TPM and
/// tpm2-tools read, and no C union is filled in by hand.
enum TPMMarshalling {
    typealias Marshal<T> = (UnsafePointer<T>?, UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?) -> TSS2_RC
    typealias Unmarshal<T> = (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<T>?) -> TSS2_RC

    static func marshal<T>(_ value: T, _ function: Marshal<T>, _ what: String) throws(TrustError) -> [UInt8] {
        var copy = value
        var buffer = [UInt8](repeating: 0, count: MemoryLayout<T>.size + 16)
        var offset = 0
        let code = withUnsafePointer(to: &copy) { pointer in function(pointer, &buffer, buffer.count, &offset) }
        guard code == OMS_TSS2_RC_SUCCESS else { throw TrustError(.tpm, "marshalling \(what): \(TPM.describe(code))") }
        return Array(buffer[..<offset])
    }

    /// Reads `bytes` into a `T`; all of them must be used.
    static func unmarshal<T>(_ bytes: [UInt8], into value: inout T, _ function: Unmarshal<T>, _ what: String) throws(TrustError) {
        var offset = 0
        let code = function(bytes, bytes.count, &offset, &value)
        guard code == OMS_TSS2_RC_SUCCESS, offset == bytes.count else {
            throw TrustError(.malformed, "\(what) does not read as the TPM's structure: \(TPM.describe(code))")
        }
    }

    /// A `TPM2B` of `bytes`: the 16-bit size, then the bytes.
    static func sized(_ bytes: [UInt8]) -> [UInt8] {
        var writer = TPMWriter()
        writer.sized(bytes)
        return writer.bytes
    }

    static func publicArea(_ area: [UInt8]) throws(TrustError) -> TPM2B_PUBLIC {
        var value = TPM2B_PUBLIC()
        try unmarshal(sized(area), into: &value, Tss2_MU_TPM2B_PUBLIC_Unmarshal, "a public area")
        return value
    }

    static func data(_ bytes: [UInt8]) throws(TrustError) -> TPM2B_DATA {
        guard bytes.count <= 64 else { throw TrustError(.invalidArgument, "\(bytes.count) bytes of qualifying data; at most 64") }
        var value = TPM2B_DATA()
        try unmarshal(sized(bytes), into: &value, Tss2_MU_TPM2B_DATA_Unmarshal, "qualifying data")
        return value
    }

    static func selection(_ selection: PCRSelection?) throws(TrustError) -> TPML_PCR_SELECTION {
        var value = TPML_PCR_SELECTION()
        if let selection { try unmarshal(selection.marshalled, into: &value, Tss2_MU_TPML_PCR_SELECTION_Unmarshal, "a PCR selection") }
        return value
    }

    /// `TPM2B_SENSITIVE_CREATE` with no password and `data` (a secret to seal, or nothing).
    static func sensitive(_ data: [UInt8]) throws(TrustError) -> TPM2B_SENSITIVE_CREATE {
        var value = TPM2B_SENSITIVE_CREATE()
        try unmarshal(sized(sized([]) + sized(data)), into: &value, Tss2_MU_TPM2B_SENSITIVE_CREATE_Unmarshal, "a sensitive area")
        return value
    }

    static func privateBlob(_ bytes: [UInt8]) throws(TrustError) -> TPM2B_PRIVATE {
        var value = TPM2B_PRIVATE()
        try unmarshal(sized(bytes), into: &value, Tss2_MU_TPM2B_PRIVATE_Unmarshal, "a private blob")
        return value
    }

    static func point(x: [UInt8], y: [UInt8]) throws(TrustError) -> TPM2B_ECC_POINT {
        var value = TPM2B_ECC_POINT()
        try unmarshal(sized(sized(x) + sized(y)), into: &value, Tss2_MU_TPM2B_ECC_POINT_Unmarshal, "a point")
        return value
    }

    /// The bytes of a `TPM2B` the TPM answered, without its size.
    static func contents<T>(_ value: T, _ function: Marshal<T>, _ what: String) throws(TrustError) -> [UInt8] {
        Array(try marshal(value, function, what).dropFirst(2))
    }
}
