import Foundation
import OMSCrypto
import OMSTestKit
import Testing

/// Every test of Google's Wycheproof files for the four primitives OMS takes from libsodium.
/// Each test counts what it checked and fails if that differs from the file's own count, so a
/// group skipped by mistake cannot pass silently.
@Suite struct WycheproofTests {
    private func load<Group: Decodable>(_ name: String, as: Group.Type) throws -> Wycheproof.File<Group> {
        try JSONDecoder().decode(Wycheproof.File<Group>.self, from: SharedVectors.data("wycheproof/\(name)"))
    }

    /// Compares the tally with the header count and with the tests actually present.
    private func expectAllChecked<Group>(
        _ tally: Wycheproof.Tally, _ file: Wycheproof.File<Group>, testsInGroups: Int, label: String
    ) {
        print("wycheproof \(label): \(tally)")
        #expect(tally.checked == file.numberOfTests)
        #expect(testsInGroups == file.numberOfTests)
    }

    // MARK: Ed25519

    /// valid: the signature verifies (and, where the group gives a private key, signing
    /// reproduces it byte for byte; RFC 8032 signing is deterministic). invalid: verify is false.
    /// acceptable (none in this release): libsodium's verify is strict (canonical S, no
    /// small-order R or key), so such a signature must be rejected.
    @Test func ed25519() throws {
        let file = try load("ed25519_test.json", as: Wycheproof.EdDSAGroup.self)
        #expect(file.algorithm == "EDDSA")
        var tally = Wycheproof.Tally()
        var resigned = 0
        for group in file.testGroups {
            let publicKey = try Ed25519.PublicKey(rawRepresentation: [UInt8](hex: group.publicKey.pk))
            let seedHex = group.privateKey?.sk ?? group.publicKey.sk
            let privateKey = try seedHex.map { try Ed25519.PrivateKey(seed: [UInt8](hex: $0)) }
            if let privateKey {
                #expect(privateKey.publicKey == publicKey, "private key of group with pk \(group.publicKey.pk)")
            }
            for test in group.tests {
                let msg = [UInt8](hex: test.msg)
                let sig = [UInt8](hex: test.sig)
                let verified = publicKey.isValidSignature(sig, for: msg)
                switch test.result {
                case .valid:
                    #expect(verified, "tcId \(test.tcId) (\(test.comment)) should verify")
                    if let privateKey {
                        #expect(privateKey.signature(for: msg) == sig, "tcId \(test.tcId): re-signing differs")
                        resigned += 1
                    }
                case .invalid, .acceptable:
                    #expect(!verified, "tcId \(test.tcId) (\(test.comment)) \(test.flags) should not verify")
                }
                tally.count(test.result)
            }
        }
        let inGroups = file.testGroups.reduce(0) { $0 + $1.tests.count }
        expectAllChecked(tally, file, testsInGroups: inGroups, label: "ed25519")
        print("wycheproof ed25519: \(resigned) valid signatures reproduced by signing (groups with a private key)")
    }

    // MARK: X25519

    /// valid: the exact shared secret. acceptable (twist points, non-canonical and low-order
    /// public keys): libsodium computes RFC 7748's function for every input and refuses only an
    /// all-zero result, so a vector whose shared secret is all zeros must throw `.weakPublicKey`
    /// and every other one must give the vector's exact secret. invalid (none in this release):
    /// must throw, or, only when the vector names a shared value, differ from it.
    @Test func x25519() throws {
        let file = try load("x25519_test.json", as: Wycheproof.XDHGroup.self)
        #expect(file.algorithm == "XDH")
        var tally = Wycheproof.Tally()
        var refusedAsZero = 0
        let zero = [UInt8](repeating: 0, count: X25519.keyLength)
        for group in file.testGroups {
            #expect(group.curve == "curve25519")
            for test in group.tests {
                let privateKey = try X25519.PrivateKey(rawRepresentation: [UInt8](hex: test.private))
                let peer = try X25519.PublicKey(rawRepresentation: [UInt8](hex: test.public))
                let expected = [UInt8](hex: test.shared)
                let outcome = Swift.Result { try privateKey.sharedSecret(with: peer).exposedBytes }
                switch (test.result, outcome) {
                case (.valid, .success(let secret)):
                    #expect(secret == expected, "tcId \(test.tcId) (\(test.comment)): \(secret.hex)")
                case (.valid, .failure(let error)):
                    Issue.record("tcId \(test.tcId) (\(test.comment)) valid but threw \(error)")
                case (.acceptable, .success(let secret)):
                    #expect(expected != zero, "tcId \(test.tcId): all-zero secret was not refused")
                    #expect(secret == expected, "tcId \(test.tcId) (\(test.comment)) \(test.flags): \(secret.hex)")
                case (.acceptable, .failure(let error)):
                    #expect(expected == zero, "tcId \(test.tcId) (\(test.comment)) \(test.flags) threw \(error)")
                    #expect((error as? CryptoError)?.code == .weakPublicKey, "tcId \(test.tcId): \(error)")
                    refusedAsZero += 1
                case (.invalid, .success(let secret)):
                    #expect(!expected.isEmpty && secret != expected, "tcId \(test.tcId) (\(test.comment)) accepted")
                case (.invalid, .failure):
                    break
                }
                tally.count(test.result)
            }
        }
        let inGroups = file.testGroups.reduce(0) { $0 + $1.tests.count }
        expectAllChecked(tally, file, testsInGroups: inGroups, label: "x25519")
        print("wycheproof x25519: \(refusedAsZero) acceptable low-order vectors refused as all-zero secrets")
    }

    // MARK: ChaCha20-Poly1305 and XChaCha20-Poly1305

    /// One AEAD under test, so both files run through the same rules.
    private struct AEAD {
        let label: String
        let file: String
        let algorithm: String
        let keyLength: Int
        let nonceLength: Int
        let seal: ([UInt8], SecureBytes, [UInt8], [UInt8]) throws -> [UInt8]
        let open: ([UInt8], SecureBytes, [UInt8], [UInt8]) throws -> [UInt8]
    }

    /// valid: seal gives the exact ciphertext and tag, open gives the plaintext back. invalid:
    /// open throws; where the nonce or key length is one our API refuses, both seal and open must
    /// throw `.invalidLength` (only ever for an invalid vector). acceptable (none in these
    /// releases): open either throws or returns the plaintext.
    private func run(_ aead: AEAD) throws {
        let file = try load(aead.file, as: Wycheproof.AEADGroup.self)
        #expect(file.algorithm == aead.algorithm)
        var tally = Wycheproof.Tally()
        for group in file.testGroups {
            #expect(group.tagSize == 128)
            for test in group.tests {
                defer { tally.count(test.result) }
                let keyBytes = [UInt8](hex: test.key)
                let key = SecureBytes(copying: keyBytes)
                let nonce = [UInt8](hex: test.iv)
                let aad = [UInt8](hex: test.aad)
                let msg = [UInt8](hex: test.msg)
                let sealed = [UInt8](hex: test.ct) + [UInt8](hex: test.tag)
                let id = "\(aead.label) tcId \(test.tcId) (\(test.comment)) \(test.flags)"

                if keyBytes.count != aead.keyLength || nonce.count != aead.nonceLength {
                    #expect(test.result == .invalid, "\(id): refused by length but not invalid")
                    let openError = #expect(throws: CryptoError.self, "\(id)") {
                        try aead.open(sealed, key, nonce, aad)
                    }
                    #expect(openError?.code == .invalidLength, "\(id)")
                    let sealError = #expect(throws: CryptoError.self, "\(id)") {
                        try aead.seal(msg, key, nonce, aad)
                    }
                    #expect(sealError?.code == .invalidLength, "\(id)")
                    tally.rejectedByLength += 1
                    continue
                }

                switch test.result {
                case .valid:
                    let ours = try aead.seal(msg, key, nonce, aad)
                    #expect(ours == sealed, "\(id): sealed \(ours.hex)")
                    let opened = try? aead.open(sealed, key, nonce, aad)
                    #expect(opened == msg, "\(id): open failed or differs")
                case .invalid:
                    let error = #expect(throws: CryptoError.self, "\(id) opened") {
                        try aead.open(sealed, key, nonce, aad)
                    }
                    #expect(error?.code == .authenticationFailed, "\(id)")
                case .acceptable:
                    if let opened = try? aead.open(sealed, key, nonce, aad) {
                        #expect(opened == msg, "\(id)")
                    }
                }
            }
        }
        let inGroups = file.testGroups.reduce(0) { $0 + $1.tests.count }
        expectAllChecked(tally, file, testsInGroups: inGroups, label: aead.label)
    }

    @Test func chaCha20Poly1305() throws {
        try run(
            AEAD(
                label: "chacha20-poly1305", file: "chacha20_poly1305_test.json", algorithm: "CHACHA20-POLY1305",
                keyLength: ChaChaPoly.keyLength, nonceLength: ChaChaPoly.nonceLength,
                seal: { try ChaChaPoly.seal($0, key: $1, nonce: $2, authenticating: $3) },
                open: { try ChaChaPoly.open($0, key: $1, nonce: $2, authenticating: $3) }))
    }

    @Test func xChaCha20Poly1305() throws {
        try run(
            AEAD(
                label: "xchacha20-poly1305", file: "xchacha20_poly1305_test.json", algorithm: "XCHACHA20-POLY1305",
                keyLength: XChaChaPoly.keyLength, nonceLength: XChaChaPoly.nonceLength,
                seal: { try XChaChaPoly.seal($0, key: $1, nonce: $2, authenticating: $3) },
                open: { try XChaChaPoly.open($0, key: $1, nonce: $2, authenticating: $3) }))
    }
}
