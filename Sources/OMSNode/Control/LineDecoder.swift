import NIOCore

/// Newline-delimited messages for the control socket, each at most `maximumLength` bytes;
/// a longer line is an error rather than an ever-growing buffer.
struct LineDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumLength: Int

    struct LineTooLong: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "control message longer than \(limit) bytes" }
    }

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > maximumLength { throw LineTooLong(limit: maximumLength) }
            return nil
        }
        let length = newline - view.startIndex
        guard length <= maximumLength else { throw LineTooLong(limit: maximumLength) }
        let line = buffer.readSlice(length: length)
        buffer.moveReaderIndex(forwardBy: 1)
        return line
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}
