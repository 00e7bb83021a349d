/// A cursor over received bytes whose reads return nil instead of trapping when the bytes run
/// out, so decoders can check every length against what is really there.
public struct ByteReader {
    private let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }

    public mutating func read(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func readByte() -> UInt8? { read(1)?.first }

    public mutating func readUInt16() -> UInt16? { readInteger() }

    public mutating func readUInt32() -> UInt32? { readInteger() }

    public mutating func readUInt64() -> UInt64? { readInteger() }

    /// `count` bytes as an Array, or nil when fewer remain.
    public mutating func readArray(_ count: Int) -> [UInt8]? { read(count).map(Array.init) }

    private mutating func readInteger<T: FixedWidthInteger & UnsignedInteger>() -> T? {
        guard let b = read(T.bitWidth / 8) else { return nil }
        return b.reduce(0) { $0 << 8 | T($1) }
    }
}

extension Array where Element == UInt8 {
    /// Network byte order, as every length and counter in the protocol is written.
    public mutating func appendBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }
}
