import OMSCrypto
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalBuffers() {
        #expect(ConstantTime.equals([], []))
        #expect(ConstantTime.equals([0], [0]))
        let long = [UInt8](repeating: 0xab, count: 1000)
        #expect(ConstantTime.equals(long, long))
    }

    @Test func differingBuffers() {
        let base = [UInt8](0..<64)
        for index in [0, 31, 63] {
            var other = base
            other[index] ^= 0x01
            #expect(!ConstantTime.equals(base, other), "difference at \(index)")
        }
    }

    @Test func lengthMismatchIsUnequalEvenWithACommonPrefix() {
        #expect(!ConstantTime.equals([], [0]))
        #expect(!ConstantTime.equals([0], []))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([1, 2], [1, 2, 3]))
    }

    /// Empty buffers may have no base address at all.
    @Test func emptyBuffersWithoutBaseAddress() {
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(ConstantTime.equals(none, none))
        [UInt8]().withUnsafeBytes { empty in #expect(ConstantTime.equals(none, empty)) }
        [UInt8](repeating: 0, count: 1).withUnsafeBytes { one in #expect(!ConstantTime.equals(none, one)) }
    }
}
