import Crypto
import OMSCrypto

/// A TPM object's public area (`TPMT_PUBLIC`), for the two kinds OMS makes: NIST P-256 keys
/// (the attestation key, the storage key, a migration's transfer key) and sealed data objects.
/// Its marshalled bytes are what the TPM hashes into the object's name, so they are kept as
/// given and the fields read from them.
public struct TPMPublicArea: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A P-256 key and its public point.
        case ecc(x: [UInt8], y: [UInt8])
        case sealedData
    }

    /// The marshalled `TPMT_PUBLIC`.
    public let bytes: [UInt8]
    public let kind: Kind
    public let attributes: UInt32
    public let authPolicy: [UInt8]

    /// Larger than any public area of the kinds OMS reads (a P-256 key's is about 90 bytes).
    static let maximumSize = 512

    public init(bytes: [UInt8]) throws(TrustError) {
        guard bytes.count <= Self.maximumSize else {
            throw TrustError(.malformed, "a public area of \(bytes.count) bytes; at most \(Self.maximumSize)")
        }
        var reader = TPMReader(bytes)
        let type = try reader.uint16("the public area's type")
        guard try reader.uint16("the public area's name algorithm") == TPMConstant.algSHA256 else {
            throw TrustError(.unsupported, "a public area named with another hash than SHA-256")
        }
        attributes = try reader.uint32("the object attributes")
        authPolicy = try reader.sized("the authorization policy", maximum: 64)
        switch type {
        case TPMConstant.algECC:
            if try reader.uint16("the symmetric algorithm") != TPMConstant.algNull {
                _ = try reader.uint16("the symmetric key size")
                _ = try reader.uint16("the symmetric mode")
            }
            if try reader.uint16("the signing scheme") != TPMConstant.algNull { _ = try reader.uint16("the scheme's hash") }
            guard try reader.uint16("the curve") == TPMConstant.curveP256 else {
                throw TrustError(.unsupported, "an ECC key on another curve than NIST P-256")
            }
            if try reader.uint16("the key derivation scheme") != TPMConstant.algNull { _ = try reader.uint16("the KDF's hash") }
            let x = try reader.sized("the point's x", maximum: 32)
            let y = try reader.sized("the point's y", maximum: 32)
            kind = .ecc(x: x, y: y)
        case TPMConstant.algKeyedHash:
            if try reader.uint16("the keyed hash scheme") != TPMConstant.algNull { _ = try reader.uint16("the scheme's hash") }
            _ = try reader.sized("the unique digest", maximum: 64)
            kind = .sealedData
        default:
            throw TrustError(.unsupported, String(format: "a public area of type 0x%04x; OMS reads ECC keys and sealed data", type))
        }
        try reader.end("the public area")
        self.bytes = bytes
    }

    /// The object's name: its name algorithm, then the SHA-256 of its public area. Quotes
    /// and certifications name keys by it.
    public var name: [UInt8] { [0x00, 0x0B] + SHA256.hash(bytes) }

    public func has(_ attribute: UInt32) -> Bool { attributes & attribute == attribute }

    /// The P-256 point, as swift-crypto reads it (libsodium has no NIST curves, and TPMs have
    /// no others).
    public func signingKey() throws(TrustError) -> P256.Signing.PublicKey {
        guard let point, let key = try? P256.Signing.PublicKey(x963Representation: point) else {
            throw TrustError(.malformed, "the public area holds no P-256 point")
        }
        return key
    }

    public func agreementKey() throws(TrustError) -> P256.KeyAgreement.PublicKey {
        guard let point, let key = try? P256.KeyAgreement.PublicKey(x963Representation: point) else {
            throw TrustError(.malformed, "the public area holds no P-256 point")
        }
        return key
    }

    /// The point uncompressed, each coordinate left-padded to 32 bytes (a TPM may leave out
    /// leading zeros).
    var point: [UInt8]? {
        guard case .ecc(let x, let y) = kind, (1...32).contains(x.count), (1...32).contains(y.count) else { return nil }
        return [0x04] + Self.padded(x) + Self.padded(y)
    }

    static func padded(_ coordinate: [UInt8]) -> [UInt8] { [UInt8](repeating: 0, count: 32 - coordinate.count) + coordinate }
}

/// The public areas OMS asks the TPM to create: fixed templates, so the same hierarchy seed
/// gives the same primary keys on every start and nothing about them needs storing.
enum TPMTemplate {
    typealias A = TPMConstant.Attribute

    /// The attestation key: a restricted P-256 ECDSA-SHA256 signing key, which signs only what
    /// the TPM itself produced (quotes, certifications), never outside data made to look so.
    static var attestationKey: [UInt8] {
        ecc(attributes: A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.userWithAuth | A.noDA | A.restricted | A.sign,
            symmetric: false, scheme: TPMConstant.algECDSA)
    }

    /// The parent of everything OMS creates under the owner hierarchy: a restricted P-256
    /// decryption key with AES-128-CFB for its children's blobs.
    static var storageKey: [UInt8] {
        ecc(attributes: A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.userWithAuth | A.noDA | A.restricted | A.decrypt,
            symmetric: true, scheme: TPMConstant.algNull)
    }

    /// A migration's transfer key: a P-256 key for ECDH whose private part never leaves the TPM.
    static var transferKey: [UInt8] {
        ecc(attributes: A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.userWithAuth | A.noDA | A.decrypt,
            symmetric: false, scheme: TPMConstant.algNull)
    }

    /// A sealed data object: its secret is given (no `sensitiveDataOrigin`), and it is opened
    /// with no password when `policy` is empty, else only through that policy.
    static func sealedData(policy: [UInt8]) -> [UInt8] {
        var writer = TPMWriter()
        writer.uint16(TPMConstant.algKeyedHash)
        writer.uint16(TPMConstant.algSHA256)
        writer.uint32(A.fixedTPM | A.fixedParent | A.noDA | (policy.isEmpty ? A.userWithAuth : 0))
        writer.sized(policy)
        writer.uint16(TPMConstant.algNull)
        writer.sized([])
        return writer.bytes
    }

    static func ecc(attributes: UInt32, symmetric: Bool, scheme: UInt16) -> [UInt8] {
        var writer = TPMWriter()
        writer.uint16(TPMConstant.algECC)
        writer.uint16(TPMConstant.algSHA256)
        writer.uint32(attributes)
        writer.sized([])
        if symmetric {
            writer.uint16(TPMConstant.algAES)
            writer.uint16(128)
            writer.uint16(TPMConstant.algCFB)
        } else {
            writer.uint16(TPMConstant.algNull)
        }
        writer.uint16(scheme)
        if scheme != TPMConstant.algNull { writer.uint16(TPMConstant.algSHA256) }
        writer.uint16(TPMConstant.curveP256)
        writer.uint16(TPMConstant.algNull)
        writer.sized([])
        writer.sized([])
        return writer.bytes
    }
}
