import NIOCore

/// Splits the TCP byte stream into Noise messages: each is preceded by its length as a 2-byte
/// big-endian integer (protocol-spec/README.md, "Transport"), so no message can announce more
/// than 65,535 bytes and nothing larger is ever buffered for one.
struct NoiseMessageDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: 2)
        return buffer.readSlice(length: Int(length))
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

/// Prefixes each outgoing Noise message with its 2-byte length.
struct NoiseMessageEncoder: MessageToByteEncoder {
    typealias OutboundIn = ByteBuffer

    func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        precondition(data.readableBytes <= Int(UInt16.max), "a Noise message never exceeds 65535 bytes")
        out.writeInteger(UInt16(data.readableBytes))
        out.writeImmutableBuffer(data)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// The handlers every OMS connection starts with, inbound or outbound.
    func addNoiseMessageCodec() throws {
        // Room for one whole message plus a partial one; a peer cannot make us buffer more.
        try addHandler(ByteToMessageHandler(NoiseMessageDecoder(), maximumBufferSize: 2 * 65_537))
        try addHandler(MessageToByteHandler(NoiseMessageEncoder()))
    }
}
