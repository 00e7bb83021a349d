import OMSCrypto

/// Hex for test vectors, shared by every test target (`.hex` itself is OMSCrypto's).
extension Array where Element == UInt8 {
    /// Bytes from a lower- or upper-case hex string; traps on malformed input, which in a test is
    /// a mistake in the vector file or the test itself.
    public init(hex: String) {
        guard let bytes = [UInt8](hexString: hex) else { preconditionFailure("not an even number of hex digits: \(hex)") }
        self = bytes
    }
}
