import OMSCrypto
import Testing

@Suite struct SecureBytesTests {
    @Test func equalityComparesContentAndLength() {
        let a = SecureBytes(copying: [1, 2, 3])
        #expect(a == SecureBytes(copying: [1, 2, 3]))
        #expect(a == a)
        #expect(a != SecureBytes(copying: [1, 2, 4]))
        #expect(a != SecureBytes(copying: [0, 2, 3]))
        #expect(a != SecureBytes(copying: [1, 2]))
        #expect(a != SecureBytes(copying: [1, 2, 3, 0]))
        #expect(SecureBytes(copying: []) == SecureBytes(copying: []))
        #expect(SecureBytes(copying: []) != SecureBytes(copying: [0]))
    }

    @Test func copyingKeepsTheBytes() {
        let bytes: [UInt8] = [0, 255, 7, 42]
        let secure = SecureBytes(copying: bytes)
        #expect(secure.count == 4)
        #expect(secure.exposedBytes == bytes)
        #expect(secure.withUnsafeBytes { Array($0) } == bytes)
        #expect(SecureBytes(copying: bytes[1...]).exposedBytes == [255, 7, 42])
    }

    @Test func randomHasTheRightLengthAndDiffers() {
        let a = SecureBytes.random(count: 32)
        let b = SecureBytes.random(count: 32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(SecureBytes.random(count: 0).count == 0)
    }
}
