import Foundation
import OMSCrypto
import OMSTestKit
import OMSTrust
import Testing

/// OMS's quotes and the tools everyone uses agree: `tpm2_checkquote` accepts a quote our TPM
/// code made (and refuses it over another nonce), and our verifier accepts one `tpm2_quote`
/// made with a key tpm2-tools created.
@Suite struct TPMToolsInteropTests {
    /// Runs a tpm2-tools command against `swtpm`; its exit status and what it printed.
    static func tool(_ name: String, _ arguments: [String], swtpm: SoftwareTPM, in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(name)")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ["TPM2TOOLS_TCTI": swtpm.tcti, "TSS2_LOG": "all+none", "PATH": "/usr/bin:/bin"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oms-tpm2-tools-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func tpm2CheckquoteAcceptsOurQuote() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tpm = try TPM(tcti: swtpm.tcti)
        let nonce = SecureRandom.bytes(32)
        let quote = try tpm.quote(try PCRSelection([0, 16]), qualifyingData: nonce)
        try tpm.attestationKey().signingKey().pemRepresentation.write(to: directory.appendingPathComponent("ak.pem"), atomically: true, encoding: .utf8)
        try Data(quote.attestation).write(to: directory.appendingPathComponent("quote.msg"))
        try Data(quote.signature).write(to: directory.appendingPathComponent("quote.sig"))

        let check = { (nonce: [UInt8]) in
            try Self.tool(
                "tpm2_checkquote", ["-u", "ak.pem", "-m", "quote.msg", "-s", "quote.sig", "-g", "sha256", "-q", nonce.hex], swtpm: swtpm,
                in: directory)
        }
        let accepted = try check(nonce)
        #expect(accepted.status == 0, "tpm2_checkquote: \(accepted.output)")
        let refused = try check(SecureRandom.bytes(32))
        #expect(refused.status != 0, "tpm2_checkquote took the quote over another nonce")
    }

    @Test func ourVerifierAcceptsAQuoteFromTpm2Quote() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let steps: [(String, [String])] = [
            ("tpm2_createprimary", ["-C", "o", "-g", "sha256", "-G", "ecc", "-c", "primary.ctx"]),
            (
                "tpm2_create",
                [
                    "-C", "primary.ctx", "-G", "ecc:ecdsa-sha256:null", "-a", "restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth",
                    "-u", "ak.pub", "-r", "ak.priv",
                ]
            ),
            ("tpm2_load", ["-C", "primary.ctx", "-u", "ak.pub", "-r", "ak.priv", "-c", "ak.ctx"]),
            ("tpm2_readpublic", ["-c", "ak.ctx", "-o", "ak.tpm2b"]),
        ]
        // With no resource manager, each tool leaves its objects loaded: flush them between steps
        // (their context files load them again).
        for (name, arguments) in steps {
            let run = try Self.tool(name, arguments, swtpm: swtpm, in: directory)
            try #require(run.status == 0, "\(name): \(run.output)")
            _ = try Self.tool("tpm2_flushcontext", ["-t"], swtpm: swtpm, in: directory)
        }
        let nonce = SecureRandom.bytes(32)
        let quoted = try Self.tool(
            "tpm2_quote", ["-c", "ak.ctx", "-l", "sha256:0,1,16", "-q", nonce.hex, "-m", "quote.msg", "-s", "quote.sig", "-g", "sha256"],
            swtpm: swtpm, in: directory)
        try #require(quoted.status == 0, "tpm2_quote: \(quoted.output)")

        let published = try Array(Data(contentsOf: directory.appendingPathComponent("ak.tpm2b")))
        let key = try TPMPublicArea(bytes: Array(published.dropFirst(2)))
        let quote = SignedAttestation(
            attestation: try Array(Data(contentsOf: directory.appendingPathComponent("quote.msg"))),
            signature: try Array(Data(contentsOf: directory.appendingPathComponent("quote.sig"))))
        let values = try TPM(tcti: swtpm.tcti).readPCRs([0, 1, 16])
        try AttestationVerifier.verifyQuote(quote, key: key, nonce: nonce, expected: values)
        do {
            try AttestationVerifier.verifyQuote(quote, key: key, nonce: SecureRandom.bytes(32), expected: values)
            Issue.record("tpm2_quote's quote verified over another nonce")
        } catch { #expect(error.code == .wrongNonce) }
    }

    /// Objects a client left loaded (here tpm2-tools, which leaves each primary it makes, as a
    /// killed node would leave its own) fill the TPM's slots until every call fails; flushing
    /// them at start brings it back.
    @Test func leftoverObjectsAreFlushedAndTheTPMWorksAgain() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for index in 0..<3 {
            let run = try Self.tool("tpm2_createprimary", ["-C", "o", "-g", "sha256", "-G", "ecc", "-c", "leftover-\(index).ctx"], swtpm: swtpm, in: directory)
            try #require(run.status == 0, "tpm2_createprimary: \(run.output)")
        }
        setenv("TSS2_LOG", "all+none", 1)
        let tpm = try TPM(tcti: swtpm.tcti)
        do {
            _ = try tpm.attestationKey()
            Issue.record("the TPM made a key with its object slots full")
        } catch { #expect(error.code == .tpm && error.context.contains("0x902"), "\(error)") }
        #expect(try tpm.flushTransientObjects() == 3)
        #expect(try tpm.flushTransientObjects() == 0)
        _ = try tpm.attestationKey()
    }

    /// Our PCR policy digest is the one tpm2-tools computes for the same PCRs and values.
    @Test func ourPCRPolicyDigestIsTpm2CreatepolicysOne() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tpm = try TPM(tcti: swtpm.tcti)
        try tpm.extend(pcr: 16, with: SHA256.hash([7]))
        let run = try Self.tool("tpm2_createpolicy", ["--policy-pcr", "-l", "sha256:7,16", "-L", "policy.bin"], swtpm: swtpm, in: directory)
        try #require(run.status == 0, "tpm2_createpolicy: \(run.output)")
        let theirs = try Array(Data(contentsOf: directory.appendingPathComponent("policy.bin")))
        let selection = try PCRSelection([16, 7])
        #expect(try selection.policyDigest(values: tpm.readPCRs(selection.indices)) == theirs)
    }
}
