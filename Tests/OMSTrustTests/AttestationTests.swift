import Crypto
import Foundation
import OMSCrypto
import OMSTestKit
import OMSTrust
import Testing

/// Quotes, certifications, ECDH and sealing against a real (software) TPM, one swtpm per test.
@Suite struct AttestationTests {
    static let pcrs = try! PCRSelection([0, 1, 16])

    @Test func aQuoteVerifiesOverItsNonceAndPCRsAndNothingElse() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let tpm = try TPM(tcti: swtpm.tcti)
        let key = try tpm.attestationKey()
        #expect(try tpm.attestationKey() == key, "the same key on every call: made from the endorsement seed")
        let nonce = SecureRandom.bytes(32)
        let quote = try tpm.quote(Self.pcrs, qualifyingData: nonce)
        let values = try tpm.readPCRs(Self.pcrs.indices)
        let attestation = try AttestationVerifier.verifyQuote(quote, key: key, nonce: nonce, expected: values)
        #expect(attestation.extraData == nonce)

        #expect(throws: TrustError(.wrongNonce, "the quote is over another nonce than the one asked for (a replay, or another session's)")) {
            try AttestationVerifier.verifyQuote(quote, key: key, nonce: SecureRandom.bytes(32), expected: values)
        }
        var other = values
        other[16] = SHA256.hash([1])
        do {
            try AttestationVerifier.verifyQuote(quote, key: key, nonce: nonce, expected: other, reported: values)
            Issue.record("a quote of other PCR values verified")
        } catch {
            #expect(error.code == .pcrMismatch)
            #expect(error.context.contains("PCR 16 "), "names the PCR that differs: \(error.context)")
        }
        #expect(throws: TrustError.self) {
            try AttestationVerifier.verifyQuote(quote, key: key, nonce: nonce, expected: values.filter { $0.key != 1 })
        }
        var tampered = quote
        tampered.attestation[tampered.attestation.count - 1] ^= 1
        #expect(throws: TrustError.self) { try AttestationVerifier.verifyQuote(tampered, key: key, nonce: nonce, expected: values) }
        do {
            try AttestationVerifier.verifyQuote(tampered, key: key, nonce: nonce, expected: values)
        } catch { #expect(error.code == .badSignature) }

        // A quote after an extend is of the new values.
        try tpm.extend(pcr: 16, with: SHA256.hash([2]))
        let later = try tpm.quote(Self.pcrs, qualifyingData: nonce)
        do {
            try AttestationVerifier.verifyQuote(later, key: key, nonce: nonce, expected: values)
            Issue.record("a quote of extended PCRs verified against the old values")
        } catch { #expect(error.code == .pcrMismatch) }
    }

    @Test func anotherTPMsKeyDoesNotVerifyTheQuote() throws {
        let (first, second) = (try SoftwareTPM(), try SoftwareTPM())
        defer {
            first.stop()
            second.stop()
        }
        let (a, b) = (try TPM(tcti: first.tcti), try TPM(tcti: second.tcti))
        #expect(try a.attestationKey() != b.attestationKey(), "each TPM its own endorsement seed")
        let nonce = SecureRandom.bytes(32)
        let quote = try a.quote(Self.pcrs, qualifyingData: nonce)
        do {
            try AttestationVerifier.verifyQuote(quote, key: try b.attestationKey(), nonce: nonce, expected: try a.readPCRs(Self.pcrs.indices))
            Issue.record("another TPM's key verified a quote")
        } catch { #expect(error.code == .badSignature) }
    }

    @Test func aCertifiedTransferKeyAgreesWithTheSender() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let tpm = try TPM(tcti: swtpm.tcti)
        let key = try tpm.attestationKey()
        let transfer = try tpm.createTransferKey()
        let nonce = SecureRandom.bytes(32)
        let certification = try tpm.certify(transfer, qualifyingData: nonce)
        try AttestationVerifier.verifyCertification(certification, of: transfer.publicArea, key: key, nonce: nonce)
        #expect(throws: TrustError.self) {
            try AttestationVerifier.verifyCertification(certification, of: transfer.publicArea, key: key, nonce: SecureRandom.bytes(32))
        }
        let another = try tpm.createTransferKey()
        #expect(another.publicArea != transfer.publicArea)
        do {
            try AttestationVerifier.verifyCertification(certification, of: another.publicArea, key: key, nonce: nonce)
            Issue.record("a certification of one key passed for another")
        } catch { #expect(error.code == .badSignature) }
        // The attestation key is restricted: it is no transfer key, however it is certified.
        #expect(throws: TrustError.self) { try AttestationVerifier.verifyCertification(certification, of: key, key: key, nonce: nonce) }

        // The sender's ECDH with the certified public key meets the TPM's own.
        let sender = P256.KeyAgreement.PrivateKey()
        let theirs = try sender.sharedSecretFromKeyAgreement(with: transfer.publicArea.agreementKey())
        let point = Array(sender.publicKey.x963Representation)
        let ours = try tpm.sharedSecret(transfer, withPoint: Array(point[1..<33]), Array(point[33...]))
        #expect(ours.exposedBytes == theirs.withUnsafeBytes { Array($0) })
        // Another TPM cannot load the key at all.
        let elsewhere = try SoftwareTPM()
        defer { elsewhere.stop() }
        do {
            _ = try TPM(tcti: elsewhere.tcti).sharedSecret(transfer, withPoint: Array(point[1..<33]), Array(point[33...]))
            Issue.record("another TPM used the transfer key")
        } catch { #expect(error.code == .sealed) }
    }

    @Test func aSealedSecretOpensOnlyInItsTPMAndWhileItsPCRsHold() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let tpm = try TPM(tcti: swtpm.tcti)
        let secret = SecureBytes.random(count: 32)
        let sealed = try tpm.seal(secret)
        #expect(try tpm.unseal(sealed).exposedBytes == secret.exposedBytes)
        #expect(!sealed.privateBlob.contains(subsequence: secret.exposedBytes), "the blob is encrypted")

        let selection = try PCRSelection([16, 23])
        let bound = try tpm.seal(secret, toPCRs: try tpm.readPCRs(selection.indices))
        #expect(try tpm.unseal(bound, pcrs: selection).exposedBytes == secret.exposedBytes)
        do {
            _ = try tpm.unseal(bound)
            Issue.record("a PCR-bound secret opened without its policy")
        } catch { #expect(error.code == .sealed) }
        try tpm.extend(pcr: 23, with: SHA256.hash([9]))
        do {
            _ = try tpm.unseal(bound, pcrs: selection)
            Issue.record("a PCR-bound secret opened after its PCR changed")
        } catch { #expect(error.code == .sealed) }
        #expect(try tpm.unseal(sealed).exposedBytes == secret.exposedBytes, "the unbound one still opens")

        let other = try SoftwareTPM()
        defer { other.stop() }
        do {
            _ = try TPM(tcti: other.tcti).unseal(sealed)
            Issue.record("another TPM unsealed the secret")
        } catch { #expect(error.code == .sealed) }
        #expect(throws: TrustError.self) { try tpm.seal(SecureBytes.random(count: 129)) }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<$0 + subsequence.count]) == subsequence }
    }
}
