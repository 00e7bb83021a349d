import OMSCrypto

/// Turns the decrypted byte stream of a session back into frames (protocol-spec/README.md,
/// "Frames"): each frame is a 4-byte big-endian length followed by that many bytes of a
/// protobuf `Frame`. Frames may span Noise messages and a Noise message may hold several.
///
/// The length is checked against `maximumFrameLength` as soon as its four bytes are in, before
/// any room is made for the body, so a peer cannot make the node allocate by lying about a size.
public struct FrameAssembler: Sendable {
    public let maximumFrameLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maximumFrameLength: Int) {
        precondition(maximumFrameLength > 0 && maximumFrameLength <= Int(UInt32.max))
        self.maximumFrameLength = maximumFrameLength
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds decrypted bytes and returns every frame they complete, in order.
    public mutating func append(_ bytes: [UInt8]) throws(FramingError) -> [[UInt8]] {
        if readIndex > 0, readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer += bytes
        var frames: [[UInt8]] = []
        while bufferedByteCount >= 4 {
            let length = buffer[readIndex..<readIndex + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= maximumFrameLength else {
                throw FramingError(.frameTooLarge, "frame of \(length) bytes announced; the limit is \(maximumFrameLength)")
            }
            guard bufferedByteCount >= 4 + length else { break }
            frames.append(Array(buffer[readIndex + 4..<readIndex + 4 + length]))
            readIndex += 4 + length
        }
        if readIndex > 65_536 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        return frames
    }
}

/// Packs frames into the plaintexts of Noise transport messages: each frame gets its length
/// prefix, frames are laid end to end, and the stream is cut every `chunkLength` bytes.
public enum FrameWriter {
    /// The most plaintext one Noise transport message carries: 65535 minus the 16-byte tag.
    public static let maximumChunkLength = 65_535 - 16

    public static func chunks(_ frames: [[UInt8]], chunkLength: Int = maximumChunkLength) -> [[UInt8]] {
        precondition(chunkLength > 0 && chunkLength <= maximumChunkLength)
        var stream: [UInt8] = []
        stream.reserveCapacity(frames.reduce(0) { $0 + 4 + $1.count })
        for frame in frames {
            stream.appendBigEndian(UInt32(frame.count))
            stream += frame
        }
        guard stream.count > chunkLength else { return stream.isEmpty ? [] : [stream] }
        return stride(from: 0, to: stream.count, by: chunkLength).map {
            Array(stream[$0..<min($0 + chunkLength, stream.count)])
        }
    }
}
public typealias FramingError = CodedError<FramingErrorDomain>

public enum FramingErrorDomain: ErrorDomain {
}

extension CodedError.Code where Domain == FramingErrorDomain {
    /// A length prefix over the receiver's maximum.
    public static var frameTooLarge: Self { Self("frameTooLarge") }
    /// Bytes that are not a protobuf `Frame`.
    public static var malformedFrame: Self { Self("malformedFrame") }
}
