import NIOCore
import NIOEmbedded
import NIOTestUtils
@testable import OMSNode
import Testing

@Suite struct LineDecoderTests {
    @Test func decoderPassesNIOsVerifier() throws {
        let cases: [(ByteBuffer, [ByteBuffer])] = [
            (ByteBuffer(string: "{\"status\":{}}\n"), [ByteBuffer(string: "{\"status\":{}}")]),
            (ByteBuffer(string: "a\nbb\n\n"), [ByteBuffer(string: "a"), ByteBuffer(string: "bb"), ByteBuffer(string: "")]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: cases) { LineDecoder(maximumLength: 100) }
    }

    @Test func aLineOverTheLimitIsAnErrorEvenWithoutANewline() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineDecoder(maximumLength: 8)))
        #expect(throws: LineDecoder.LineTooLong.self) { try channel.writeInbound(ByteBuffer(string: "0123456789")) }
        _ = try? channel.finish()
    }
}
