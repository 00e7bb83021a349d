import Crypto
import Foundation
import OMSCrypto
import OMSTestKit
import Testing

@testable import OMSTrust

/// The TPM structure readers on bytes that are not what they claim: every prefix, oversized
/// sizes, other curves and types. Each is a typed refusal, never a crash or an allocation the
/// bytes ask for.
@Suite struct TPMStructureTests {
    static func quote(extraData: [UInt8] = [1, 2, 3], digestSize: UInt16 = 32) -> [UInt8] {
        var writer = TPMWriter()
        writer.uint32(TPMConstant.generatedValue)
        writer.uint16(TPMConstant.attestQuote)
        writer.sized([0x00, 0x0B] + [UInt8](repeating: 7, count: 32))
        writer.sized(extraData)
        writer.raw([UInt8](repeating: 0, count: 8 + 4 + 4 + 1 + 8))
        writer.raw(try! PCRSelection([0, 16]).marshalled)
        writer.uint16(digestSize)
        writer.raw([UInt8](repeating: 9, count: Int(min(digestSize, 32))))
        return writer.bytes
    }

    @Test func aQuoteReadsAndEveryPrefixIsRefused() throws {
        let bytes = Self.quote()
        let attestation = try TPMAttestation(bytes: bytes)
        #expect(attestation.extraData == [1, 2, 3])
        guard case .quote(let selection, let digest) = attestation.attested else {
            Issue.record("not read as a quote")
            return
        }
        #expect(selection.indices == [0, 16] && digest == [UInt8](repeating: 9, count: 32))
        for length in 0..<bytes.count {
            #expect(throws: TrustError.self) { try TPMAttestation(bytes: Array(bytes.prefix(length))) }
        }
        #expect(throws: TrustError.self) { try TPMAttestation(bytes: bytes + [0]) }
    }

    @Test func sizesBeyondTheStructuresLimitsAreRefusedBeforeReading() {
        do {
            _ = try TPMAttestation(bytes: Self.quote(digestSize: 0xffff))
            Issue.record("a 64 KiB digest read")
        } catch { #expect(error.code == .malformed) }
        do {
            _ = try TPMAttestation(bytes: Self.quote(extraData: [UInt8](repeating: 0, count: 65)))
            Issue.record("65 bytes of extra data read")
        } catch { #expect(error.code == .malformed) }
        #expect(throws: TrustError.self) { try TPMAttestation(bytes: [UInt8](repeating: 0, count: 2000)) }
        var wrongMagic = Self.quote()
        wrongMagic[0] = 0
        #expect(throws: TrustError.self) { try TPMAttestation(bytes: wrongMagic) }
    }

    @Test func publicAreasOfOurTemplatesReadAndOthersAreRefused() throws {
        let key = try TPMPublicArea(bytes: TPMTemplate.attestationKey)
        #expect(key.has(TPMConstant.Attribute.restricted | TPMConstant.Attribute.sign))
        #expect(key.name.count == 34 && key.name.prefix(2) == [0x00, 0x0B])
        let sealed = try TPMPublicArea(bytes: TPMTemplate.sealedData(policy: SHA256.hash([1])))
        #expect(sealed.kind == .sealedData && sealed.authPolicy == SHA256.hash([1]))
        #expect(!sealed.has(TPMConstant.Attribute.userWithAuth), "a policy-bound object opens only through its policy")
        let template = TPMTemplate.transferKey
        for length in 0..<template.count {
            #expect(throws: TrustError.self) { try TPMPublicArea(bytes: Array(template.prefix(length))) }
        }
        var otherCurve = template
        // type, name algorithm, attributes, empty policy, null symmetric, null scheme: the curve.
        otherCurve[2 + 2 + 4 + 2 + 2 + 2 + 1] = 0x04
        do {
            _ = try TPMPublicArea(bytes: otherCurve)
            Issue.record("a key on curve 4 read")
        } catch { #expect(error.code == .unsupported) }
        #expect(throws: TrustError.self) { try key.agreementKey() }  // the template's point is empty
    }

    @Test func signaturesOfOtherAlgorithmsAreRefused() throws {
        var writer = TPMWriter()
        writer.uint16(0x0014)  // RSASSA
        writer.uint16(TPMConstant.algSHA256)
        writer.sized([1])
        writer.sized([2])
        do {
            _ = try TPMSignature(bytes: writer.bytes)
            Issue.record("an RSA signature read")
        } catch { #expect(error.code == .unsupported) }
        var ecdsa = TPMWriter()
        ecdsa.uint16(TPMConstant.algECDSA)
        ecdsa.uint16(TPMConstant.algSHA256)
        ecdsa.sized([1])
        ecdsa.sized([2])
        let signature = try TPMSignature(bytes: ecdsa.bytes)
        #expect(signature.raw.count == 64 && signature.raw[31] == 1 && signature.raw[63] == 2)
    }

    @Test func aPCRPolicyDigestFollowsTheSpecsFormula() throws {
        let selection = try PCRSelection([16])
        let value = SHA256.hash([5])
        var expected: [UInt8] = [UInt8](repeating: 0, count: 32)
        expected += [0x00, 0x00, 0x01, 0x7F]  // TPM_CC_PolicyPCR
        expected += [0, 0, 0, 1, 0x00, 0x0B, 3, 0, 0, 1]  // one SHA-256 bank, PCR 16
        expected += SHA256.hash(value)
        #expect(try selection.policyDigest(values: [16: value]) == SHA256.hash(expected))
        #expect(throws: TrustError.self) { try selection.policyDigest(values: [:]) }
        #expect(throws: TrustError.self) { try PCRSelection([24]) }
    }
}

/// The migration vectors' TPM side (protocol-spec §18): the generator's transfer-key public
/// area reads as OMS's template with its point, and swift-crypto's ECDH of the fixed keys gives
/// the generator's shared secret.
@Suite struct MigrationTPMVectorTests {
    struct Vectors: Decodable {
        let transfer_key: String
        let transfer_key_name: String
        let attestation_key: String
        let ephemeral_scalar: String
        let shared_secret: String
    }

    @Test func theTransferKeyAndTheECDHMatchTheGenerator() throws {
        let url = SharedVectors.projectRoot.appendingPathComponent("protocol-spec/vectors/migration.json")
        let v = try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
        let transfer = try TPMPublicArea(bytes: [UInt8](hex: v.transfer_key))
        #expect(transfer.name.hex == v.transfer_key_name)
        let template = try TPMPublicArea(bytes: TPMTemplate.transferKey)
        #expect(transfer.attributes == template.attributes && Array(transfer.bytes.prefix(TPMTemplate.transferKey.count - 4)) == Array(TPMTemplate.transferKey.dropLast(4)))
        let ak = try TPMPublicArea(bytes: [UInt8](hex: v.attestation_key))
        #expect(ak.attributes == (try TPMPublicArea(bytes: TPMTemplate.attestationKey)).attributes)
        let ephemeral = try P256.KeyAgreement.PrivateKey(rawRepresentation: Data([UInt8](hex: v.ephemeral_scalar)))
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: transfer.agreementKey())
        #expect(shared.withUnsafeBytes { Array($0) }.hex == v.shared_secret)
    }
}
