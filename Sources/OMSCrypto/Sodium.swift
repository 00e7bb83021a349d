import CSodium

/// libsodium must be initialised once before any call; every entry point of OMSCrypto goes
/// through `Sodium.ready` so callers never have to remember.
enum Sodium {
    /// Evaluated once, thread-safely, by Swift's global initialiser rules.
    static let ready: Bool = {
        sodium_init() >= 0
    }()

    @inline(__always)
    static func ensureReady() {
        precondition(ready, "libsodium failed to initialise (sodium_init < 0)")
    }
}

/// One byte that stands in for the base address of an empty buffer: libsodium's headers mark
/// their pointers non-null even where the length is zero.
nonisolated(unsafe) private let emptyByte = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

extension UnsafeRawBufferPointer {
    /// The buffer as libsodium's `const unsigned char *`, never nil.
    var bytePointer: UnsafePointer<UInt8> {
        baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyByte)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The buffer as libsodium's `unsigned char *`, never nil.
    var bytePointer: UnsafeMutablePointer<UInt8> {
        baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyByte
    }
}
