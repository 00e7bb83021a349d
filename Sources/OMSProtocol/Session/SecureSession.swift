import OMSCrypto
import SwiftProtobuf

/// An established, authenticated session: Noise transport encryption plus the frame stream
/// inside it (protocol-spec/README.md, "Frames"). Pure; the shell moves its bytes.
public struct SecureSession: Sendable {
    /// 4 MiB: far above any frame of this protocol version, far below what hurts a home node.
    public static let defaultMaximumFrameLength = 4 << 20

    public enum Inbound: Sendable {
        case frame(WireFrame)
        /// Bytes that arrived as a frame but do not decode as one.
        case malformed(String)
    }

    public let remote: NodeID
    /// How the peer says its keys rest (signed in its handshake).
    public let remoteTrust: NodeTrust
    public let handshakeHash: [UInt8]
    /// Internal so that tests can put bytes on the wire that no honest sender would.
    var transport: NoiseTransport
    private var assembler: FrameAssembler

    init(transport: NoiseTransport, remote: HandshakeIdentity.Proven, maximumFrameLength: Int) {
        self.transport = transport
        self.remote = remote.node
        remoteTrust = remote.trust
        handshakeHash = transport.handshakeHash
        assembler = FrameAssembler(maximumFrameLength: maximumFrameLength)
    }

    public var maximumFrameLength: Int { assembler.maximumFrameLength }

    /// Serialises, frames, chunks and encrypts `frames`, returning Noise messages in send order.
    public mutating func seal(_ frames: [WireFrame]) throws -> [[UInt8]] {
        let encoded = try frames.map { frame -> [UInt8] in
            let bytes: [UInt8] = try frame.serializedBytes()
            guard bytes.count <= maximumFrameLength else {
                throw FramingError(.frameTooLarge, "refusing to send a \(bytes.count)-byte frame over the \(maximumFrameLength) limit")
            }
            return bytes
        }
        return try FrameWriter.chunks(encoded).map { try transport.encrypt($0) }
    }

    /// Decrypts one Noise message and returns the frames it completes. Throws `NoiseError` if
    /// the message does not decrypt and `FramingError` if a length prefix is over the limit;
    /// either way the session is over.
    public mutating func open(_ message: [UInt8]) throws -> [Inbound] {
        let plaintext = try transport.decrypt(message)
        return try assembler.append(plaintext).map { bytes in
            do {
                return .frame(try WireFrame(serializedBytes: bytes))
            } catch {
                return .malformed("\(error)")
            }
        }
    }
}
