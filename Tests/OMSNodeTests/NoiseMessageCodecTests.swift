import NIOCore
import NIOEmbedded
import NIOTestUtils
@testable import OMSNode
import Testing

/// The 2-byte length framing of Noise messages on TCP, checked drip-fed, whole and shuffled by
/// NIO's own verifier, and against a hostile length.
@Suite struct NoiseMessageCodecTests {
    private func framed(_ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }

    @Test func decoderPassesNIOsVerifier() throws {
        let payloads: [[UInt8]] = [[], [1], Array(repeating: 0xab, count: 300), Array(0..<255), Array(repeating: 9, count: 3_000)]
        let cases = payloads.map { (framed($0), [ByteBuffer(bytes: $0)]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: cases) {
            NoiseMessageDecoder()
        }
    }

    @Test func theLargestMessageDecodesWhole() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(NoiseMessageDecoder()))
        let payload = [UInt8](repeating: 9, count: 65_535)
        try channel.writeInbound(framed(payload))
        let out = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(out.readableBytes == 65_535)
        _ = try? channel.finish()
    }

    @Test func encoderPrefixesTheLength() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(NoiseMessageEncoder()))
        try channel.writeOutbound(ByteBuffer(bytes: [1, 2, 3]))
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(out.readableBytesView) == [0, 3, 1, 2, 3])
    }

    @Test func aMessageIsNotDeliveredUntilItIsComplete() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(NoiseMessageDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0xff, 0xff, 1, 2, 3]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
    }

    @Test func theBufferCapRefusesAPeerThatNeverCompletesAMessage() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(NoiseMessageDecoder(), maximumBufferSize: 1024))
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(60_000))
        buffer.writeBytes([UInt8](repeating: 0, count: 2000))
        #expect(throws: (any Error).self) { try channel.writeInbound(buffer) }
        _ = try? channel.finish()
    }
}
