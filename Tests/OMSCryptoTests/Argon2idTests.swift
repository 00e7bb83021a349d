import OMSTestKit
import OMSCrypto
import Testing

/// argon2id with libsodium's smallest costs (`crypto_pwhash_argon2id_OPSLIMIT_MIN` = 1 pass,
/// `crypto_pwhash_argon2id_MEMLIMIT_MIN` = 8192 bytes) so the suite stays fast.
@Suite struct Argon2idTests {
    static let cheap = Argon2id.Parameters(opsLimit: 1, memLimit: 8192)
    static let salt = [UInt8](0..<16)

    /// Known answers computed independently with python3's `cryptography` package (48.0.0,
    /// backed by OpenSSL), which libsodium's crypto_pwhash equals at lanes 1, version 0x13, no
    /// secret or associated data, memory in KiB = memLimit / 1024:
    ///
    ///     from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    ///     Argon2id(salt=bytes(range(16)), length=32, iterations=t, lanes=1, memory_cost=m).derive(pw).hex()
    @Test(arguments: [
        ("correct horse battery staple", 1, 8, "d17ea6341ca93da6079ea2f64dc4aa31dd1aaf9caa67fb42ac4afd0714706f26"),
        ("", 1, 8, "31ed41e2d73f27fdfe4eb4bec651341e58ba43477051c6fe4adad735d82ee08a"),
        ("correct horse battery staple", 2, 64, "2df47ede6358ed17a9976d4fcedb897a10036d432a4acef17d263bfc98bd20ac"),
    ])
    func knownAnswer(passphrase: String, passes: UInt64, kibibytes: Int, expected: String) throws {
        let key = try Argon2id.deriveKey(
            passphrase: passphrase, salt: Self.salt,
            parameters: Argon2id.Parameters(opsLimit: passes, memLimit: kibibytes * 1024))
        #expect(key.exposedBytes == [UInt8](hex: expected))
    }

    @Test func sameInputsSameKeyDifferentSaltDifferentKey() throws {
        let a = try Argon2id.deriveKey(passphrase: "hunter2", salt: Self.salt, parameters: Self.cheap)
        let b = try Argon2id.deriveKey(passphrase: "hunter2", salt: Self.salt, parameters: Self.cheap)
        let otherSalt = try Argon2id.deriveKey(
            passphrase: "hunter2", salt: [UInt8](repeating: 7, count: 16), parameters: Self.cheap)
        let otherPassphrase = try Argon2id.deriveKey(passphrase: "hunter3", salt: Self.salt, parameters: Self.cheap)
        #expect(a.count == 32)
        #expect(a == b)
        #expect(a != otherSalt)
        #expect(a != otherPassphrase)
    }

    @Test func emptyPassphraseWorks() throws {
        let key = try Argon2id.deriveKey(passphrase: "", salt: Self.salt, parameters: Self.cheap)
        #expect(key.count == 32)
        #expect(key != (try Argon2id.deriveKey(passphrase: " ", salt: Self.salt, parameters: Self.cheap)))
    }

    @Test func outputLengthIsHonoured() throws {
        let key = try Argon2id.deriveKey(passphrase: "p", salt: Self.salt, length: 64, parameters: Self.cheap)
        #expect(key.count == 64)
    }

    @Test(arguments: [0, 8, 15, 17, 32])
    func wrongSaltLengthThrowsInvalidLength(length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try Argon2id.deriveKey(
                passphrase: "p", salt: [UInt8](repeating: 0, count: length), parameters: Self.cheap)
        }
        #expect(error?.code == .invalidLength)
    }

    /// Costs below libsodium's minimum, or an output shorter than its 16 bytes, fail cleanly
    /// (this path once freed the output buffer twice).
    @Test(arguments: [
        (Argon2id.Parameters(opsLimit: 0, memLimit: 8192), 32),
        (Argon2id.Parameters(opsLimit: 1, memLimit: 1024), 32),
        (Argon2idTests.cheap, 8),
    ])
    func outOfRangeParametersThrowKeyDerivationFailed(parameters: Argon2id.Parameters, length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try Argon2id.deriveKey(passphrase: "p", salt: Self.salt, length: length, parameters: parameters)
        }
        #expect(error?.code == .keyDerivationFailed)
    }
}
