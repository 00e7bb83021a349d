import OMSCrypto

/// A set of PCRs in the SHA-256 bank, as the TPM marshals it (`TPML_PCR_SELECTION` with one
/// bank and a three-byte bitmap).
public struct PCRSelection: Sendable, Hashable {
    public let indices: [Int]

    public init(_ indices: some Sequence<Int>) throws(TrustError) {
        let sorted = Array(Set(indices)).sorted()
        guard sorted.allSatisfy({ (0...23).contains($0) }) else {
            throw TrustError(.invalidArgument, "PCR indices \(sorted); 0 to 23")
        }
        self.indices = sorted
    }

    var marshalled: [UInt8] {
        var writer = TPMWriter()
        writer.uint32(1)
        writer.uint16(TPMConstant.algSHA256)
        writer.uint8(3)
        var bitmap: [UInt8] = [0, 0, 0]
        for index in indices { bitmap[index / 8] |= UInt8(1 << (index % 8)) }
        writer.raw(bitmap)
        return writer.bytes
    }

    static func read(_ reader: inout TPMReader) throws(TrustError) -> PCRSelection {
        let banks = try reader.uint32("the PCR selection's count")
        guard banks <= 16 else { throw TrustError(.malformed, "a PCR selection of \(banks) banks") }
        var indices: [Int] = []
        for _ in 0..<banks {
            let hash = try reader.uint16("a PCR bank's hash")
            let size = Int(try reader.uint8("a PCR bitmap's size"))
            guard size <= 4 else { throw TrustError(.malformed, "a PCR bitmap of \(size) bytes") }
            let bitmap = try reader.fixed(size, "a PCR bitmap")
            let selected = (0..<size * 8).filter { bitmap[$0 / 8] & UInt8(1 << ($0 % 8)) != 0 }
            if selected.isEmpty { continue }
            guard hash == TPMConstant.algSHA256 else {
                throw TrustError(.unsupported, String(format: "PCRs quoted from bank 0x%04x; OMS reads the SHA-256 bank", hash))
            }
            indices += selected
        }
        return try PCRSelection(indices)
    }

    /// The digest a quote carries for these PCRs holding `values`: SHA-256 of the values in
    /// index order.
    public func digest(of values: [Int: [UInt8]]) throws(TrustError) -> [UInt8] {
        var all: [UInt8] = []
        for index in indices {
            guard let value = values[index], value.count == 32 else {
                throw TrustError(.invalidArgument, "no SHA-256 value for PCR \(index)")
            }
            all += value
        }
        return SHA256.hash(all)
    }

    /// The policy digest of `TPM2_PolicyPCR` over these PCRs holding `values`, from an empty
    /// policy: what a sealed object's `authPolicy` must be for it to open only while they do.
    public func policyDigest(values: [Int: [UInt8]]) throws(TrustError) -> [UInt8] {
        var writer = TPMWriter()
        writer.raw([UInt8](repeating: 0, count: 32))
        writer.uint32(TPMConstant.commandPolicyPCR)
        writer.raw(marshalled)
        writer.raw(try digest(of: values))
        return SHA256.hash(writer.bytes)
    }
}

/// What a TPM attests (`TPMS_ATTEST`): a quote of PCRs, or a certification that it holds a
/// named object; both over the caller's `extraData`, signed by a restricted key so that the
/// TPM alone can have made them.
public struct TPMAttestation: Sendable, Hashable {
    public enum Attested: Sendable, Hashable {
        case quote(PCRSelection, digest: [UInt8])
        case certify(name: [UInt8], qualifiedName: [UInt8])
    }

    public let bytes: [UInt8]
    public let signerName: [UInt8]
    public let extraData: [UInt8]
    /// The TPM's clock (ms), resets and restarts: how fresh and how continuous it was.
    public let clock: UInt64
    public let resetCount: UInt32
    public let restartCount: UInt32
    public let attested: Attested

    /// `TPM2B_ATTEST`'s largest buffer.
    static let maximumSize = 1024

    public init(bytes: [UInt8]) throws(TrustError) {
        guard bytes.count <= Self.maximumSize else {
            throw TrustError(.malformed, "an attestation of \(bytes.count) bytes; at most \(Self.maximumSize)")
        }
        var reader = TPMReader(bytes)
        guard try reader.uint32("the attestation's magic") == TPMConstant.generatedValue else {
            throw TrustError(.malformed, "not made by a TPM (its magic is not TPM_GENERATED_VALUE)")
        }
        let type = try reader.uint16("the attestation's type")
        signerName = try reader.sized("the signer's name", maximum: 68)
        extraData = try reader.sized("the extra data", maximum: 64)
        clock = try reader.uint64("the clock")
        resetCount = try reader.uint32("the reset count")
        restartCount = try reader.uint32("the restart count")
        _ = try reader.uint8("the clock's safe flag")
        _ = try reader.uint64("the firmware version")
        switch type {
        case TPMConstant.attestQuote:
            let selection = try PCRSelection.read(&reader)
            attested = .quote(selection, digest: try reader.sized("the PCR digest", maximum: 64))
        case TPMConstant.attestCertify:
            let name = try reader.sized("the certified name", maximum: 68)
            attested = .certify(name: name, qualifiedName: try reader.sized("the qualified name", maximum: 68))
        default:
            throw TrustError(.unsupported, String(format: "an attestation of type 0x%04x; OMS reads quotes and certifications", type))
        }
        try reader.end("the attestation")
        self.bytes = bytes
    }
}

/// An ECDSA signature as the TPM marshals it (`TPMT_SIGNATURE`): algorithm, hash, r, s.
public struct TPMSignature: Sendable, Hashable {
    public let bytes: [UInt8]
    public let r: [UInt8]
    public let s: [UInt8]

    public init(bytes: [UInt8]) throws(TrustError) {
        guard bytes.count <= 256 else { throw TrustError(.malformed, "a signature of \(bytes.count) bytes") }
        var reader = TPMReader(bytes)
        let algorithm = try reader.uint16("the signature's algorithm")
        let hash = try reader.uint16("the signature's hash")
        guard algorithm == TPMConstant.algECDSA, hash == TPMConstant.algSHA256 else {
            throw TrustError(.unsupported, String(format: "a signature 0x%04x over hash 0x%04x; OMS reads ECDSA over SHA-256", algorithm, hash))
        }
        r = try reader.sized("the signature's r", maximum: 32)
        s = try reader.sized("the signature's s", maximum: 32)
        try reader.end("the signature")
        self.bytes = bytes
    }

    /// r and s, each left-padded to 32 bytes.
    var raw: [UInt8] {
        [UInt8](repeating: 0, count: 32 - r.count) + r + [UInt8](repeating: 0, count: 32 - s.count) + s
    }
}

/// An attestation and the signature over it: the unit that travels.
public struct SignedAttestation: Sendable, Hashable {
    /// The marshalled `TPMS_ATTEST`.
    public var attestation: [UInt8]
    /// The marshalled `TPMT_SIGNATURE`.
    public var signature: [UInt8]

    public init(attestation: [UInt8], signature: [UInt8]) {
        self.attestation = attestation
        self.signature = signature
    }
}
