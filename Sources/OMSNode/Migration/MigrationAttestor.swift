import Crypto
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSTrust

/// Between the migration core and the TPM: the destination's attestation made with its TPM, and
/// the source's check of one against the owner's policy (OMSTrust's verifier, which needs no
/// TPM of its own).
enum MigrationAttestor {
    /// Quotes `pcrs` and certifies a fresh transfer key, both over the migration's qualifying
    /// data, and signs the lot as `node`.
    static func attest(
        tpm: TPM, migration: MigrationID, nonce: [UInt8], pcrs: [Int], node: Ed25519.PrivateKey, trust: NodeTrust
    ) throws -> (attestation: MigrationAttestation, transferKey: TPMObject) {
        let transfer = try tpm.createTransferKey()
        let data = MigrationAttestation.qualifyingData(migration: migration, nonce: nonce, transferKey: transfer.publicArea.bytes)
        let selection = try PCRSelection(pcrs)
        let quote = try tpm.quote(selection, qualifyingData: data)
        let certification = try tpm.certify(transfer, qualifyingData: data)
        var attestation = MigrationAttestation(
            migration: migration, trust: trust, attestationKey: try tpm.attestationKey().bytes, transferKey: transfer.publicArea.bytes,
            quote: quote.attestation, quoteSignature: quote.signature, certification: certification.attestation,
            certificationSignature: certification.signature, pcrs: pcrs.isEmpty ? [:] : try tpm.readPCRs(selection.indices))
        attestation.sign(nonce: nonce, with: node)
        return (attestation, transfer)
    }

    /// The TPM's part of the source's check: the quote over the qualifying data, of the policy's
    /// PCRs with their values, and the certification of the transfer key, both by the AK.
    static func verify(_ attestation: MigrationAttestation, qualifyingData: [UInt8], policy: MigrationPolicy) throws(MigrationError) {
        do {
            let key = try TPMPublicArea(bytes: attestation.attestationKey)
            let transfer = try TPMPublicArea(bytes: attestation.transferKey)
            try AttestationVerifier.verifyQuote(
                SignedAttestation(attestation: attestation.quote, signature: attestation.quoteSignature), key: key, nonce: qualifyingData,
                expected: policy.pcrs, reported: attestation.pcrs)
            try AttestationVerifier.verifyCertification(
                SignedAttestation(attestation: attestation.certification, signature: attestation.certificationSignature), of: transfer,
                key: key, nonce: qualifyingData)
            _ = try transfer.agreementKey()
        } catch {
            let code: MigrationError.Code =
                switch error.code {
                case .wrongNonce: .wrongNonce
                case .pcrMismatch: .pcrMismatch
                case .badSignature: .badSignature
                case .untrustedKey: .untrustedNode
                default: .malformed
                }
            throw MigrationError(code, error.context)
        }
    }

    /// The source's half of the ECDH with the transfer key: an ephemeral P-256 key, its point,
    /// and the shared secret (the shared point's x).
    static func agree(with transferKey: [UInt8]) throws -> (point: [UInt8], secret: SecureBytes) {
        let ephemeral = P256.KeyAgreement.PrivateKey()
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: try TPMPublicArea(bytes: transferKey).agreementKey())
        return (Array(ephemeral.publicKey.x963Representation), SecureBytes(copying: shared.withUnsafeBytes { Array($0) }))
    }
}
