/// The parts of Wycheproof's JSON test files (schema v1: `aead_test_schema_v1`,
/// `eddsa_verify_schema_v1`, `xdh_comp_schema_v1`) that the OMSCrypto tests read.
/// The files stay in `../shared/vectors/wycheproof/` and are read in place.
enum Wycheproof {
    /// One test file: a header count and groups of tests sharing parameters.
    struct File<Group: Decodable>: Decodable {
        let algorithm: String
        let numberOfTests: Int
        let testGroups: [Group]
    }

    /// Wycheproof's verdict on a test: `acceptable` means either outcome is allowed, so each
    /// test states which one libsodium gives.
    enum Result: String, Decodable {
        case valid, invalid, acceptable
    }

    struct AEADGroup: Decodable {
        let ivSize: Int
        let keySize: Int
        let tagSize: Int
        let tests: [AEADTest]
    }

    struct AEADTest: Decodable {
        let tcId: Int
        let comment: String
        let flags: [String]
        let key: String
        let iv: String
        let aad: String
        let msg: String
        let ct: String
        let tag: String
        let result: Result
    }

    struct EdDSAGroup: Decodable {
        struct Key: Decodable {
            let pk: String
            /// Present in some Wycheproof releases only; then the tests re-sign with it.
            let sk: String?
        }
        let publicKey: Key
        /// Some releases put the private key in a group member of its own.
        let privateKey: Key?
        let tests: [EdDSATest]
    }

    struct EdDSATest: Decodable {
        let tcId: Int
        let comment: String
        let flags: [String]
        let msg: String
        let sig: String
        let result: Result
    }

    struct XDHGroup: Decodable {
        let curve: String
        let tests: [XDHTest]
    }

    struct XDHTest: Decodable {
        let tcId: Int
        let comment: String
        let flags: [String]
        let `public`: String
        let `private`: String
        let shared: String
        let result: Result
    }

    /// How many tests of a file were checked, by verdict.
    struct Tally: CustomStringConvertible {
        var valid = 0
        var invalid = 0
        var acceptable = 0
        /// Invalid AEAD tests whose key or nonce length our API refuses before any decryption.
        var rejectedByLength = 0

        var checked: Int { valid + invalid + acceptable }

        mutating func count(_ result: Result) {
            switch result {
            case .valid: valid += 1
            case .invalid: invalid += 1
            case .acceptable: acceptable += 1
            }
        }

        var description: String {
            var parts = ["valid \(valid)", "invalid \(invalid)"]
            if acceptable > 0 { parts.append("acceptable \(acceptable)") }
            if rejectedByLength > 0 { parts.append("of which rejected by length \(rejectedByLength)") }
            return "\(checked) checked (\(parts.joined(separator: ", ")))"
        }
    }
}
