import Crypto
import OMSCrypto

/// Checks what a TPM attests, from the bytes alone: no TPM is needed to verify, so a node
/// with software trust can still hold another to its quote. Each refusal says which check
/// failed, so an owner whose migration is refused learns whether the nonce, the key or a PCR
/// was wrong.
public enum AttestationVerifier {
    /// Checks that `quote` is signed by `key`, a restricted signing key the TPM keeps, over
    /// `nonce`, and that it quotes exactly the PCRs of `expected` holding those values (when it
    /// expects any). When the attester also `reported` its PCR values and they match the quote,
    /// a mismatch names the PCRs that differ.
    @discardableResult
    public static func verifyQuote(
        _ quote: SignedAttestation, key: TPMPublicArea, nonce: [UInt8], expected: [Int: [UInt8]], reported: [Int: [UInt8]]? = nil
    ) throws(TrustError) -> TPMAttestation {
        let attestation = try verifySignature(quote, key: key)
        guard case .quote(let selection, let digest) = attestation.attested else {
            throw TrustError(.malformed, "a certification where a quote was expected")
        }
        guard ConstantTime.equals(attestation.extraData, nonce) else {
            throw TrustError(.wrongNonce, "the quote is over another nonce than the one asked for (a replay, or another session's)")
        }
        // A policy that expects no PCR values checks the key and the nonce alone.
        if expected.isEmpty { return attestation }
        let wanted = try PCRSelection(expected.keys)
        guard selection == wanted else {
            throw TrustError(.pcrMismatch, "the quote covers PCRs \(selection.indices); the policy expects \(wanted.indices)")
        }
        guard try wanted.digest(of: expected) != digest else { return attestation }
        if let reported, (try? selection.digest(of: reported)) == digest {
            let differing = wanted.indices.filter { reported[$0] != expected[$0] }.map(String.init)
            throw TrustError(
                .pcrMismatch,
                differing.count == 1
                    ? "PCR \(differing[0]) holds another value than the policy expects"
                    : "PCRs \(differing.joined(separator: ", ")) hold other values than the policy expects")
        }
        throw TrustError(.pcrMismatch, "the quoted PCRs hold other values than the policy expects")
    }

    /// Checks that `certification` is signed by `key` over `nonce` and certifies `object`, a
    /// decryption key the TPM made and cannot export: whatever is encrypted to it can only be
    /// read inside that TPM.
    public static func verifyCertification(
        _ certification: SignedAttestation, of object: TPMPublicArea, key: TPMPublicArea, nonce: [UInt8]
    ) throws(TrustError) {
        let attestation = try verifySignature(certification, key: key)
        guard case .certify(let name, _) = attestation.attested else {
            throw TrustError(.malformed, "a quote where a certification was expected")
        }
        guard ConstantTime.equals(attestation.extraData, nonce) else {
            throw TrustError(.wrongNonce, "the certification is over another nonce than the one asked for")
        }
        guard name == object.name else {
            throw TrustError(.badSignature, "the certification names another object than the key offered")
        }
        typealias A = TPMConstant.Attribute
        guard object.has(A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.decrypt), !object.has(A.restricted) else {
            throw TrustError(.untrustedKey, "the certified key is not a decryption key made in and bound to its TPM")
        }
    }

    static func verifySignature(_ signed: SignedAttestation, key: TPMPublicArea) throws(TrustError) -> TPMAttestation {
        typealias A = TPMConstant.Attribute
        guard key.has(A.fixedTPM | A.restricted | A.sign) else {
            throw TrustError(.untrustedKey, "the attestation key is not a restricted signing key bound to its TPM")
        }
        let signature = try TPMSignature(bytes: signed.signature)
        let attestation = try TPMAttestation(bytes: signed.attestation)
        guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature.raw),
            try key.signingKey().isValidSignature(ecdsa, for: signed.attestation)
        else {
            throw TrustError(.badSignature, "the attestation's signature does not verify with the attestation key")
        }
        return attestation
    }
}
