import CTSS2
import Foundation

/// A connection to one TPM 2.0 through tss2's ESAPI, over a TCTI such as
/// `swtpm:host=127.0.0.1,port=2321` (a software TPM in tests and testnets) or `device:/dev/tpmrm0`.
/// The ESAPI context is not thread-safe: one caller at a time (the node serialises its use).
/// There is no resource manager in front of swtpm, so every transient object and session is
/// flushed by the call that made it.
public final class TPM: @unchecked Sendable {
    private(set) var context: OpaquePointer?
    private var tcti: OpaquePointer?
    public let tctiName: String

    public init(tcti name: String) throws(TrustError) {
        tctiName = name
        var tcti: OpaquePointer?
        let loaded = Tss2_TctiLdr_Initialize(name, &tcti)
        guard loaded == OMS_TSS2_RC_SUCCESS, tcti != nil else {
            throw TrustError(.unavailable, "no TPM at '\(name)': \(Self.describe(loaded))")
        }
        var context: OpaquePointer?
        let initialized = Esys_Initialize(&context, tcti, nil)
        guard initialized == OMS_TSS2_RC_SUCCESS, context != nil else {
            Tss2_TctiLdr_Finalize(&tcti)
            throw TrustError(.unavailable, "the TPM at '\(name)' did not start a session: \(Self.describe(initialized))")
        }
        self.tcti = tcti
        self.context = context
    }

    deinit {
        Esys_Finalize(&context)
        Tss2_TctiLdr_Finalize(&tcti)
    }

    /// `count` random bytes from the TPM's generator (at most 64 a call, as TPMs give).
    public func random(_ count: Int) throws(TrustError) -> [UInt8] {
        guard (1...64).contains(count) else { throw TrustError(.invalidArgument, "\(count) random bytes; 1 to 64 a call") }
        var bytes: UnsafeMutablePointer<TPM2B_DIGEST>?
        try check(Esys_GetRandom(context, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, UInt16(count), &bytes), "GetRandom")
        defer { Esys_Free(bytes) }
        guard let digest = bytes?.pointee else { return [] }
        return Self.bytes(of: digest)
    }

    /// The SHA-256 bank's values of the PCRs `indices` (0 to 23), by index.
    public func readPCRs(_ indices: [Int]) throws(TrustError) -> [Int: [UInt8]] {
        guard !indices.isEmpty, indices.allSatisfy({ (0...23).contains($0) }) else {
            throw TrustError(.invalidArgument, "PCR indices \(indices); 0 to 23")
        }
        var values: [Int: [UInt8]] = [:]
        var pending = Set(indices)
        // A TPM answers at most eight digests a call: ask again for what is left.
        while !pending.isEmpty {
            var selection = TPML_PCR_SELECTION()
            selection.count = 1
            selection.pcrSelections.0.hash = OMS_TPM2_ALG_SHA256
            selection.pcrSelections.0.sizeofSelect = 3
            withUnsafeMutableBytes(of: &selection.pcrSelections.0.pcrSelect) { select in
                for index in pending { select[index / 8] |= UInt8(1 << (index % 8)) }
            }
            var selected: UnsafeMutablePointer<TPML_PCR_SELECTION>?
            var digests: UnsafeMutablePointer<TPML_DIGEST>?
            var counter: UInt32 = 0
            try check(
                Esys_PCR_Read(context, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &selection, &counter, &selected, &digests), "PCR_Read")
            defer {
                Esys_Free(selected)
                Esys_Free(digests)
            }
            guard var answered = selected?.pointee.pcrSelections.0, let list = digests?.pointee else { break }
            var given: [Int] = []
            withUnsafeBytes(of: &answered.pcrSelect) { select in
                for index in pending.sorted() where select[index / 8] & UInt8(1 << (index % 8)) != 0 { given.append(index) }
            }
            var list2 = list
            let read = withUnsafeBytes(of: &list2.digests) { raw in
                (0..<Int(list.count)).map { raw.load(fromByteOffset: $0 * MemoryLayout<TPM2B_DIGEST>.stride, as: TPM2B_DIGEST.self) }
            }
            guard !given.isEmpty, given.count == read.count else {
                throw TrustError(.tpm, "PCR_Read answered \(read.count) digests for \(given.count) PCRs")
            }
            for (index, digest) in zip(given, read) {
                values[index] = Self.bytes(of: digest)
                pending.remove(index)
            }
        }
        return values
    }

    /// Extends PCR `index` of the SHA-256 bank with `digest` (32 bytes): the PCR becomes
    /// SHA-256(old || digest).
    public func extend(pcr index: Int, with digest: [UInt8]) throws(TrustError) {
        guard (0...23).contains(index), digest.count == 32 else {
            throw TrustError(.invalidArgument, "extend PCR \(index) with \(digest.count) bytes; 0 to 23, 32 bytes")
        }
        var values = TPML_DIGEST_VALUES()
        values.count = 1
        values.digests.0.hashAlg = OMS_TPM2_ALG_SHA256
        withUnsafeMutableBytes(of: &values.digests.0.digest) { raw in raw.copyBytes(from: digest) }
        try check(
            Esys_PCR_Extend(context, OMS_ESYS_TR_PCR0 + ESYS_TR(index), OMS_ESYS_TR_PASSWORD, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &values),
            "PCR_Extend")
    }

    /// Flushes the transient objects left loaded in the TPM, and returns how many. Every call
    /// here flushes what it loads, but a node killed in the middle of one leaves its objects
    /// behind when no resource manager sits in front of the TPM (swtpm in testnets): three are
    /// enough to fill a TPM's object slots, and every later call would fail with 0x902. The node
    /// calls this once at start, when it is the TPM's only user.
    public func flushTransientObjects() throws(TrustError) -> Int {
        var more: TPMI_YES_NO = 0
        var data: UnsafeMutablePointer<TPMS_CAPABILITY_DATA>?
        try check(
            Esys_GetCapability(
                context, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_TPM2_CAP_HANDLES, OMS_TPM2_TRANSIENT_FIRST, 64, &more, &data),
            "GetCapability")
        defer { Esys_Free(data) }
        guard var list = data?.pointee.data.handles else { return 0 }
        let count = min(Int(list.count), 64)
        let handles = withUnsafeBytes(of: &list.handle) { raw in (0..<count).map { raw.load(fromByteOffset: $0 * 4, as: UInt32.self) } }
        var flushed = 0
        for handle in handles {
            var object: ESYS_TR = OMS_ESYS_TR_NONE
            guard Esys_TR_FromTPMPublic(context, handle, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &object) == OMS_TSS2_RC_SUCCESS
            else { continue }
            if Esys_FlushContext(context, object) == OMS_TSS2_RC_SUCCESS { flushed += 1 }
        }
        return flushed
    }

    // MARK: Inside

    func check(_ code: TSS2_RC, _ command: String) throws(TrustError) {
        guard code == OMS_TSS2_RC_SUCCESS else { throw TrustError(.tpm, "\(command): \(Self.describe(code))") }
    }

    static func describe(_ code: TSS2_RC) -> String {
        let text = Tss2_RC_Decode(code).map { String(cString: $0) } ?? "unknown"
        return String(format: "0x%x ", code) + text
    }

    static func bytes(of digest: TPM2B_DIGEST) -> [UInt8] {
        var copy = digest
        let size = min(Int(copy.size), MemoryLayout.size(ofValue: copy.buffer))
        return withUnsafeBytes(of: &copy.buffer) { Array($0.prefix(size)) }
    }
}
