import CSodium
import Foundation
import OMSTestKit
import OMSTrust
import Testing

/// OMSTrust against a real (software) TPM, one swtpm per test: random bytes, PCR reads in the
/// SHA-256 bank, and extends that change a PCR exactly as the TPM 2.0 spec says.
@Suite struct TPMTests {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_hash_sha256(&out, bytes, UInt64(bytes.count))
        return out
    }

    @Test func randomBytesComeFromTheTPM() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let tpm = try TPM(tcti: swtpm.tcti)
        let (a, b) = (try tpm.random(32), try tpm.random(32))
        #expect(a.count == 32 && b.count == 32 && a != b)
        #expect(throws: TrustError.self) { try tpm.random(65) }
    }

    @Test func anExtendIsTheHashOfTheOldValueAndTheDigest() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let tpm = try TPM(tcti: swtpm.tcti)
        // More than eight PCRs: read in two calls.
        let all = try tpm.readPCRs(Array(0...15))
        #expect(all.count == 16)
        #expect(all[16] == nil)
        let before = try tpm.readPCRs([16])[16]
        #expect(before == [UInt8](repeating: 0, count: 32), "a fresh TPM's PCR 16 is zero")
        let measurement = Self.sha256(Array("oms node binary".utf8))
        try tpm.extend(pcr: 16, with: measurement)
        let after = try tpm.readPCRs([16])[16]
        #expect(after == Self.sha256(before! + measurement))
        #expect(try tpm.readPCRs([23])[23] != after, "other PCRs untouched")
        #expect(throws: TrustError.self) { try tpm.extend(pcr: 24, with: measurement) }
        #expect(throws: TrustError.self) { try tpm.readPCRs([]) }
    }

    @Test func noTPMIsATypedRefusal() throws {
        setenv("TSS2_LOG", "all+none", 1)  // tss2 logs the refused connection at ERROR otherwise
        do {
            _ = try TPM(tcti: "swtpm:host=127.0.0.1,port=1")
            Issue.record("a TPM where there is none")
        } catch {
            #expect(error.code == .unavailable)
        }
    }
}
