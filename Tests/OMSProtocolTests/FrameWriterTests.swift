import OMSProtocol
import Testing

/// FrameWriter packs frames into Noise plaintexts that never exceed 65519 bytes.
struct FrameWriterTests {
    @Test func chunkLimitIsTheNoiseMaximumLessTheTag() {
        #expect(FrameWriter.maximumChunkLength == 65_519)
    }

    @Test func aLargeFrameIsCutAndReassembles() throws {
        var rng = SplitMix64(seed: 200_000)
        let big = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let frames: [[UInt8]] = [[1, 2, 3], big, [], [4]]
        let chunks = FrameWriter.chunks(frames)
        #expect(chunks.allSatisfy { $0.count <= FrameWriter.maximumChunkLength && !$0.isEmpty })
        #expect(chunks.dropLast().allSatisfy { $0.count == FrameWriter.maximumChunkLength })
        #expect(chunks.flatMap { $0 } == FrameAssemblerTests.stream(frames))
        var assembler = FrameAssembler(maximumFrameLength: 4 << 20)
        var out: [[UInt8]] = []
        for chunk in chunks { out += try assembler.append(chunk) }
        #expect(out == frames)
    }

    @Test(arguments: [1, 7, 1000, 65_519])
    func customChunkLengths(_ length: Int) throws {
        let frames: [[UInt8]] = (0..<40).map { Array(repeating: UInt8($0), count: $0 * 97) }
        let chunks = FrameWriter.chunks(frames, chunkLength: length)
        #expect(chunks.allSatisfy { $0.count <= length && !$0.isEmpty })
        #expect(chunks.flatMap { $0 } == FrameAssemblerTests.stream(frames))
    }

    @Test func smallInputs() {
        #expect(FrameWriter.chunks([]) == [])
        #expect(FrameWriter.chunks([[]]) == [[0, 0, 0, 0]])
        #expect(FrameWriter.chunks([[9], [8, 8]]) == [[0, 0, 0, 1, 9, 0, 0, 0, 2, 8, 8]])
        let exact: [UInt8] = Array(repeating: 1, count: FrameWriter.maximumChunkLength - 4)
        #expect(FrameWriter.chunks([exact]).count == 1)
        #expect(FrameWriter.chunks([exact + [1]]).map(\.count) == [FrameWriter.maximumChunkLength, 1])
    }
}
