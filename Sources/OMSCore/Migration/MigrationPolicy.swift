import OMSProtocol

/// What the owner requires of a node before their TCF travels to it: its trust, the
/// attestation keys they know (their new box's, their provider's), and the PCR values its TPM
/// must quote (its firmware and boot chain as measured).
public struct MigrationPolicy: Sendable, Hashable, Codable {
    /// Only `tpm` is accepted for now: a software node cannot prove where the key it offers lives.
    public var trust: NodeTrust
    /// TPM object names (34 bytes: 0x000B and SHA-256 of the public area) of the allowed AKs.
    public var attestationKeys: [[UInt8]]
    /// SHA-256 bank PCR values the quote must show, by index.
    public var pcrs: [Int: [UInt8]]

    public init(trust: NodeTrust = .tpm, attestationKeys: [[UInt8]], pcrs: [Int: [UInt8]] = [:]) {
        self.trust = trust
        self.attestationKeys = attestationKeys
        self.pcrs = pcrs
    }

    /// The policy's own sense, before any node is asked.
    public func check() throws(MigrationError) {
        guard trust == .tpm else {
            throw MigrationError(.badPolicy, "a migration needs a destination with a TPM to attest it ('\(trust.name)' cannot prove where its key lives)")
        }
        guard !attestationKeys.isEmpty else {
            throw MigrationError(.badPolicy, "no attestation key is allowed: name the destination's (oms node attestation on it) with --allow-ak")
        }
        guard attestationKeys.allSatisfy({ $0.count == 34 }) else {
            throw MigrationError(.badPolicy, "an attestation key name is 34 bytes (68 hex digits, from 'oms node attestation')")
        }
        guard pcrs.keys.allSatisfy({ (0...23).contains($0) }), pcrs.values.allSatisfy({ $0.count == 32 }) else {
            throw MigrationError(.badPolicy, "expected PCRs are 0 to 23, each a 32-byte SHA-256 value")
        }
    }
}
