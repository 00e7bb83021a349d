import OMSProtocol
import Testing

/// FrameAssembler, fed the same stream whole, drip-fed and in random splits, as NIO's
/// ByteToMessageDecoderVerifier would.
struct FrameAssemblerTests {
    static let limit = 4 << 20

    /// Frames of assorted sizes, including empty ones and ones larger than the compaction mark.
    static let frames: [[UInt8]] = {
        var rng = SplitMix64(seed: 1)
        let sizes = [0, 1, 2, 3, 4, 5, 0, 0, 100, 1000, 70_000, 0, 65_536, 17, 4, 200_000, 3]
        return sizes.map { size in (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) } }
    }()

    static func stream(_ frames: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for frame in frames {
            let n = UInt32(frame.count)
            out += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: n >> $0) }
            out += frame
        }
        return out
    }

    func feed(_ chunks: [ArraySlice<UInt8>], limit: Int = FrameAssemblerTests.limit) throws -> [[UInt8]] {
        var assembler = FrameAssembler(maximumFrameLength: limit)
        var out: [[UInt8]] = []
        for chunk in chunks { out += try assembler.append(Array(chunk)) }
        #expect(assembler.bufferedByteCount == 0)
        return out
    }

    @Test func whole() throws {
        let stream = Self.stream(Self.frames)
        #expect(try feed([stream[...]]) == Self.frames)
    }

    @Test func byteByByte() throws {
        let small = Array(Self.frames.prefix(10))
        let stream = Self.stream(small)
        #expect(try feed(stream.indices.map { stream[$0...$0] }) == small)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func randomSplits(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let stream = Self.stream(Self.frames)
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < stream.count {
            let length = min(stream.count - start, Int.random(in: 0...9_000, using: &rng))
            chunks.append(stream[start..<start + length])
            start += length
        }
        #expect(try feed(chunks) == Self.frames)
    }

    @Test func severalFramesInOneChunk() throws {
        var assembler = FrameAssembler(maximumFrameLength: 100)
        let frames: [[UInt8]] = [[1], [2, 2], [], [3, 3, 3]]
        #expect(try assembler.append(Self.stream(frames)) == frames)
    }

    @Test func zeroLengthFrames() throws {
        var assembler = FrameAssembler(maximumFrameLength: 100)
        #expect(try assembler.append([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) == [[], [], []])
        #expect(try assembler.append([0, 0]) == [])
        #expect(try assembler.append([0, 0]) == [[]])
        #expect(assembler.bufferedByteCount == 0)
    }

    @Test func aPartialFrameWaits() throws {
        var assembler = FrameAssembler(maximumFrameLength: 100)
        #expect(try assembler.append([0, 0, 0, 3, 9]) == [])
        #expect(assembler.bufferedByteCount == 5)
        #expect(try assembler.append([9, 9, 0]) == [[9, 9, 9]])
        #expect(assembler.bufferedByteCount == 1)
    }

    @Test func lengthOverTheLimitIsRefusedAsSoonAsItsFourBytesArrive() throws {
        var assembler = FrameAssembler(maximumFrameLength: 1000)
        // 1001 = 0x000003E9, drip-fed: nothing is known until the fourth byte.
        #expect(try assembler.append([0x00]) == [])
        #expect(try assembler.append([0x00]) == [])
        #expect(try assembler.append([0x03]) == [])
        do {
            _ = try assembler.append([0xE9])
            Issue.record("accepted a length over the limit")
        } catch {
            #expect(error.code == .frameTooLarge)
        }
    }

    @Test func lengthOverTheLimitIsRefusedAfterGoodFramesInTheSameChunk() {
        var assembler = FrameAssembler(maximumFrameLength: 1000)
        do {
            _ = try assembler.append([0, 0, 0, 1, 7, 0xFF, 0xFF, 0xFF, 0xFF])
            Issue.record("accepted a length over the limit")
        } catch {
            #expect(error.code == .frameTooLarge)
        }
    }

    @Test func hugeAnnouncedLengthIsRefusedWithoutItsBody() {
        var assembler = FrameAssembler(maximumFrameLength: Self.limit)
        #expect(throws: FramingError.self) { try assembler.append([0xFF, 0xFF, 0xFF, 0xFF]) }
        var atDefault = FrameAssembler(maximumFrameLength: Self.limit)
        #expect(throws: FramingError.self) { try atDefault.append([0x00, 0x40, 0x00, 0x01]) }
    }

    @Test func lengthExactlyAtTheLimitIsAccepted() throws {
        var assembler = FrameAssembler(maximumFrameLength: 10)
        let frame: [UInt8] = Array(repeating: 5, count: 10)
        #expect(try assembler.append(Self.stream([frame])) == [frame])
    }
}
