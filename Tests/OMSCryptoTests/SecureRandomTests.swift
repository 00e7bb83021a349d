import OMSCrypto
import Testing

@Suite struct SecureRandomTests {
    @Test func bytesHaveTheRequestedLength() {
        #expect(SecureRandom.bytes(0).isEmpty)
        #expect(SecureRandom.bytes(1).count == 1)
        #expect(SecureRandom.bytes(1000).count == 1000)
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    @Test func uniformStaysBelowItsBound() {
        #expect(SecureRandom.uniform(1) == 0)
        var seen = Set<UInt32>()
        for _ in 0..<1000 {
            let value = SecureRandom.uniform(6)
            #expect(value < 6)
            seen.insert(value)
        }
        #expect(seen.count == 6)
    }

    @Test func uint64Varies() {
        #expect(Set((0..<8).map { _ in SecureRandom.uint64() }).count > 1)
    }
}
