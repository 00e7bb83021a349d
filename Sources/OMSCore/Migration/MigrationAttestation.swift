import OMSCrypto
import OMSProtocol

/// The destination's answer to an offer: its trust, its TPM's attestation key, a fresh transfer
/// key the TPM holds, a quote and a certification of that key, both over the qualifying data
/// that binds them to this migration and the source's nonce, and the node's own signature over
/// it all (protocol-spec §18). The TPM's structures stay bytes here: OMSTrust reads and checks
/// them, this type binds them to the node and the migration.
public struct MigrationAttestation: Sendable, Hashable {
    public static let signingDomain = Array("oms/v1/migration-attestation".utf8) + [0]
    /// Bounds on what is read from a peer, above any honest TPM's structures.
    static let maximumPublicArea = 512
    static let maximumAttestation = 1024
    static let maximumSignature = 256

    public var migration: MigrationID
    public var trust: NodeTrust
    /// TPMT_PUBLIC of the attestation key.
    public var attestationKey: [UInt8]
    /// TPMT_PUBLIC of the transfer key.
    public var transferKey: [UInt8]
    public var quote: [UInt8]
    public var quoteSignature: [UInt8]
    public var certification: [UInt8]
    public var certificationSignature: [UInt8]
    /// The quoted PCRs' values as the destination reports them (the quote's digest decides;
    /// these only let a refusal name the PCRs that differ).
    public var pcrs: [Int: [UInt8]]
    public var signature: [UInt8]

    public init(
        migration: MigrationID, trust: NodeTrust, attestationKey: [UInt8], transferKey: [UInt8], quote: [UInt8], quoteSignature: [UInt8],
        certification: [UInt8], certificationSignature: [UInt8], pcrs: [Int: [UInt8]], signature: [UInt8] = []
    ) {
        self.migration = migration
        self.trust = trust
        self.attestationKey = attestationKey
        self.transferKey = transferKey
        self.quote = quote
        self.quoteSignature = quoteSignature
        self.certification = certification
        self.certificationSignature = certificationSignature
        self.pcrs = pcrs
        self.signature = signature
    }

    /// A TPM object's name: its name algorithm (SHA-256, 0x000B) and the SHA-256 of its public area.
    public static func objectName(_ publicArea: [UInt8]) -> [UInt8] { [0x00, 0x0B] + SHA256.hash(publicArea) }

    /// What the quote and the certification are over: SHA-256 of the domain, the migration, the
    /// source's nonce and the transfer key's name. A quote for another migration, nonce or key
    /// does not pass for this one.
    public static func qualifyingData(migration: MigrationID, nonce: [UInt8], transferKey: [UInt8]) -> [UInt8] {
        SHA256.hash(signingDomain + migration.bytes + nonce + objectName(transferKey))
    }

    func signingInput(nonce: [UInt8]) -> [UInt8] {
        Self.signingDomain + migration.bytes + nonce + [trust.rawValue] + SHA256.hash(attestationKey) + Self.objectName(transferKey)
    }

    public mutating func sign(nonce: [UInt8], with node: Ed25519.PrivateKey) {
        signature = node.signature(for: signingInput(nonce: nonce))
    }

    /// The node's signature: the attestation key and the transfer key are `node`'s.
    public func verifySignature(by node: NodeID, nonce: [UInt8]) throws(MigrationError) {
        guard let key = try? Ed25519.PublicKey(rawRepresentation: node.bytes),
            key.isValidSignature(signature, for: signingInput(nonce: nonce))
        else { throw MigrationError(.badSignature, "the attestation is not signed by \(node.short), the node the TCF was offered to") }
    }
}

/// The destination's signed word that the TCF is imported, durably, under its own keys: what
/// lets the source hand over and erase its copy.
public struct MigrationReceipt: Sendable, Hashable {
    public static let signingDomain = Array("oms/v1/migration-receipt".utf8) + [0]

    public var migration: MigrationID
    public var tcf: TCFID
    public var archiveDigest: [UInt8]
    public var source: NodeID
    public var destination: NodeID
    public var trust: NodeTrust
    public var atMs: UInt64
    public var signature: [UInt8]

    public init(
        migration: MigrationID, tcf: TCFID, archiveDigest: [UInt8], source: NodeID, destination: NodeID, trust: NodeTrust, atMs: UInt64,
        signature: [UInt8] = []
    ) {
        self.migration = migration
        self.tcf = tcf
        self.archiveDigest = archiveDigest
        self.source = source
        self.destination = destination
        self.trust = trust
        self.atMs = atMs
        self.signature = signature
    }

    var signingInput: [UInt8] {
        var input = Self.signingDomain + migration.bytes + tcf.bytes + archiveDigest + source.bytes + destination.bytes + [trust.rawValue]
        input.appendBigEndian(atMs)
        return input
    }

    public mutating func sign(with node: Ed25519.PrivateKey) { signature = node.signature(for: signingInput) }

    public func verify() throws(MigrationError) {
        guard let key = try? Ed25519.PublicKey(rawRepresentation: destination.bytes), key.isValidSignature(signature, for: signingInput) else {
            throw MigrationError(.badSignature, "the receipt is not signed by \(destination.short)")
        }
    }
}
