import OMSCrypto
import Testing

/// Behaviour of ChaChaPoly and XChaChaPoly beyond the Wycheproof known answers: round trips,
/// refusal of tampered input, and length checks.
@Suite struct AEADTests {
    let key = SecureBytes.random(count: 32)
    let message = Array("a seed of mustard".utf8)
    let aad = Array("header".utf8)

    @Test func chaChaPolyRoundTripAndTampering() throws {
        let nonce = SecureRandom.bytes(ChaChaPoly.nonceLength)
        let sealed = try ChaChaPoly.seal(message, key: key, nonce: nonce, authenticating: aad)
        #expect(sealed.count == message.count + ChaChaPoly.tagLength)
        #expect(try ChaChaPoly.open(sealed, key: key, nonce: nonce, authenticating: aad) == message)

        var flipped = sealed
        flipped[0] ^= 0x80
        for (bytes, associated) in [(flipped, aad), (sealed, Array("other".utf8)), (sealed, [])] {
            let error = #expect(throws: CryptoError.self) {
                try ChaChaPoly.open(bytes, key: key, nonce: nonce, authenticating: associated)
            }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test func xChaChaPolyRoundTripAndTampering() throws {
        let nonce = SecureRandom.bytes(XChaChaPoly.nonceLength)
        let sealed = try XChaChaPoly.seal(message, key: key, nonce: nonce, authenticating: aad)
        #expect(sealed.count == message.count + XChaChaPoly.tagLength)
        #expect(try XChaChaPoly.open(sealed, key: key, nonce: nonce, authenticating: aad) == message)

        var flipped = sealed
        flipped[sealed.count - 1] ^= 1
        let error = #expect(throws: CryptoError.self) {
            try XChaChaPoly.open(flipped, key: key, nonce: nonce, authenticating: aad)
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func emptyPlaintextSealsToATagAlone() throws {
        let sealed = try ChaChaPoly.seal([], key: key, nonce: [UInt8](repeating: 0, count: 12))
        #expect(sealed.count == 16)
        #expect(try ChaChaPoly.open(sealed, key: key, nonce: [UInt8](repeating: 0, count: 12)) == [])
        let xSealed = try XChaChaPoly.seal([], key: key, nonce: [UInt8](repeating: 0, count: 24))
        #expect(xSealed.count == 16)
        #expect(try XChaChaPoly.open(xSealed, key: key, nonce: [UInt8](repeating: 0, count: 24)) == [])
    }

    /// Input shorter than the tag cannot be authentic.
    @Test(arguments: [0, 1, 15])
    func shorterThanTagFailsAuthentication(length: Int) {
        let short = [UInt8](repeating: 0, count: length)
        let error = #expect(throws: CryptoError.self) {
            try ChaChaPoly.open(short, key: key, nonce: [UInt8](repeating: 0, count: 12))
        }
        #expect(error?.code == .authenticationFailed)
        let xError = #expect(throws: CryptoError.self) {
            try XChaChaPoly.open(short, key: key, nonce: [UInt8](repeating: 0, count: 24))
        }
        #expect(xError?.code == .authenticationFailed)
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func wrongKeyLengthThrowsInvalidLength(length: Int) {
        let badKey = SecureBytes(copying: [UInt8](repeating: 1, count: length))
        let sealed = [UInt8](repeating: 0, count: 32)
        let errors = [
            #expect(throws: CryptoError.self) {
                try ChaChaPoly.seal([1], key: badKey, nonce: [UInt8](repeating: 0, count: 12))
            },
            #expect(throws: CryptoError.self) {
                try ChaChaPoly.open(sealed, key: badKey, nonce: [UInt8](repeating: 0, count: 12))
            },
            #expect(throws: CryptoError.self) {
                try XChaChaPoly.seal([1], key: badKey, nonce: [UInt8](repeating: 0, count: 24))
            },
            #expect(throws: CryptoError.self) {
                try XChaChaPoly.open(sealed, key: badKey, nonce: [UInt8](repeating: 0, count: 24))
            },
        ]
        #expect(errors.allSatisfy { $0?.code == .invalidLength })
    }

    @Test(arguments: [0, 8, 11, 13, 23, 24, 25])
    func wrongNonceLengthThrowsInvalidLength(length: Int) throws {
        let nonce = [UInt8](repeating: 0, count: length)
        let sealed = [UInt8](repeating: 0, count: 32)
        if length != ChaChaPoly.nonceLength {
            let sealError = #expect(throws: CryptoError.self) { try ChaChaPoly.seal([1], key: key, nonce: nonce) }
            let openError = #expect(throws: CryptoError.self) { try ChaChaPoly.open(sealed, key: key, nonce: nonce) }
            #expect(sealError?.code == .invalidLength)
            #expect(openError?.code == .invalidLength)
        }
        if length != XChaChaPoly.nonceLength {
            let sealError = #expect(throws: CryptoError.self) { try XChaChaPoly.seal([1], key: key, nonce: nonce) }
            let openError = #expect(throws: CryptoError.self) { try XChaChaPoly.open(sealed, key: key, nonce: nonce) }
            #expect(sealError?.code == .invalidLength)
            #expect(openError?.code == .invalidLength)
        }
    }
}
