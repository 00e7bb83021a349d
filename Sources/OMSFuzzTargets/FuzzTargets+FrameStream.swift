import OMSProtocol

extension FuzzTargets {
    /// The session's frame stream: the bytes go to a `FrameAssembler` in chunks of input-chosen
    /// sizes, and each frame it returns is decoded as a protobuf `Frame`.
    ///
    /// Input layout: byte 0 gives how many chunk sizes follow (`byte 0 % 8 + 1`), each a 16-bit
    /// big-endian length used in turn (0 appends an empty chunk); the rest is the stream. The
    /// assembler must account for every byte (frames plus prefixes plus what it buffers) until it
    /// refuses a length, and a decoded frame must survive re-encoding unchanged.
    public static func frameStream(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        guard let first = input.first else { return }
        let sizeCount = Int(first % 8) + 1
        guard input.count >= 1 + 2 * sizeCount else { return }
        var sizes = (0..<sizeCount).map { Int(input[1 + 2 * $0]) << 8 | Int(input[2 + 2 * $0]) }
        let stream = Array(input[(1 + 2 * sizeCount)...])
        if sizes.allSatisfy({ $0 == 0 }) { sizes = [max(stream.count, 1)] }

        let maximumFrameLength = 1 << 16
        var assembler = FrameAssembler(maximumFrameLength: maximumFrameLength)
        var offset = 0
        var delivered = 0
        var turn = 0
        while offset < stream.count {
            let end = min(offset + sizes[turn % sizes.count], stream.count)
            turn += 1
            guard let frames = try? assembler.append(Array(stream[offset..<end])) else {
                break  // a length over the limit ends the session; nothing more is read
            }
            offset = end
            for frame in frames {
                try invariant(frame.count <= maximumFrameLength, "a frame over the limit was returned")
                delivered += 4 + frame.count
                guard let decoded = try? WireFrame(serializedBytes: frame) else { continue }
                let reencoded: [UInt8]? = try? decoded.serializedBytes()
                try invariant(
                    reencoded.flatMap { try? WireFrame(serializedBytes: $0) } == decoded, "a frame changed on re-encoding")
            }
            try invariant(delivered + assembler.bufferedByteCount == offset, "the assembler lost or invented bytes")
        }
    }
}
