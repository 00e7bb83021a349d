import OMSCrypto

/// A signed object: the payload's exact bytes, the signer's Ed25519 key and a signature over a
/// domain tag, the object's type and the payload (protocol-spec/README.md, "Envelopes").
///
/// Verification works on the bytes as received and never re-encodes, so two implementations
/// cannot disagree about what was signed. The envelope's `id` is the BLAKE2b-256 hash of those
/// same bytes.
///
/// Layout (all integers big-endian):
/// ```
/// "OMSE" | version u8 = 1 | type_len u8 | type | signer [32] | signature [64] | payload_len u32 | payload
/// ```
/// Signed message: `"oms/v1/envelope" | 0x00 | type_len u8 | type | payload`.
public struct Envelope: Hashable, Sendable {
    public static let magic: [UInt8] = Array("OMSE".utf8)
    public static let version: UInt8 = 1
    static let signingDomain: [UInt8] = Array("oms/v1/envelope".utf8) + [0]
    /// Bytes before the type: magic, version, type length.
    static let headerLength = 6
    /// Payloads larger than this are refused by default; callers with bigger objects pass a limit.
    public static let defaultMaximumPayload = 1 << 20

    public let type: EnvelopeType
    public let signer: Ed25519.PublicKey
    public let signature: [UInt8]
    public let payload: [UInt8]
    /// The exact encoded bytes; what is stored, sent and hashed.
    public let bytes: [UInt8]

    /// Signs `payload` as an object of `type`.
    public static func sign(type: EnvelopeType, payload: [UInt8], with key: Ed25519.PrivateKey) -> Envelope {
        let signature = key.signature(for: signingInput(type: type, payload: payload))
        var bytes = magic
        bytes.reserveCapacity(headerLength + type.rawValue.utf8.count + 100 + payload.count)
        bytes.append(version)
        bytes.append(UInt8(type.rawValue.utf8.count))
        bytes += type.rawValue.utf8
        bytes += key.publicKey.rawRepresentation
        bytes += signature
        bytes.appendBigEndian(UInt32(payload.count))
        bytes += payload
        return Envelope(type: type, signer: key.publicKey, signature: signature, payload: payload, bytes: bytes)
    }

    private init(type: EnvelopeType, signer: Ed25519.PublicKey, signature: [UInt8], payload: [UInt8], bytes: [UInt8]) {
        self.type = type
        self.signer = signer
        self.signature = signature
        self.payload = payload
        self.bytes = bytes
    }

    static func signingInput(type: EnvelopeType, payload: [UInt8]) -> [UInt8] {
        var input = signingDomain
        input.reserveCapacity(signingDomain.count + 1 + type.rawValue.utf8.count + payload.count)
        input.append(UInt8(type.rawValue.utf8.count))
        input += type.rawValue.utf8
        input += payload
        return input
    }

    /// Parses `bytes` without checking the signature. Every length is checked against what is
    /// actually there, and against `maximumPayload`, before anything is copied.
    public init(decoding bytes: [UInt8], maximumPayload: Int = Envelope.defaultMaximumPayload) throws(EnvelopeError) {
        var reader = ByteReader(bytes)
        guard let magic = reader.read(4), magic.elementsEqual(Envelope.magic) else {
            throw EnvelopeError(.malformed, "does not start with \"OMSE\"")
        }
        guard let version = reader.readByte() else { throw EnvelopeError(.malformed, "truncated before version") }
        guard version == Envelope.version else {
            throw EnvelopeError(.unsupportedVersion, "version \(version); this node reads version \(Envelope.version)")
        }
        guard let typeLength = reader.readByte(), let typeBytes = reader.read(Int(typeLength)) else {
            throw EnvelopeError(.malformed, "truncated in the type")
        }
        let type: EnvelopeType
        do {
            type = try EnvelopeType(String(decoding: typeBytes, as: UTF8.self))
        } catch {
            throw EnvelopeError(.malformed, error.description)
        }
        guard let signer = reader.read(Ed25519.publicKeyLength), let signature = reader.read(Ed25519.signatureLength)
        else {
            throw EnvelopeError(.malformed, "truncated in the signer or signature")
        }
        guard let payloadLength = reader.readUInt32() else { throw EnvelopeError(.malformed, "truncated before payload length") }
        guard Int(payloadLength) <= maximumPayload else {
            throw EnvelopeError(.tooLarge, "payload of \(payloadLength) bytes exceeds the limit of \(maximumPayload)")
        }
        guard let payload = reader.read(Int(payloadLength)) else {
            throw EnvelopeError(.malformed, "payload length \(payloadLength) exceeds the \(reader.remaining) bytes present")
        }
        guard reader.remaining == 0 else { throw EnvelopeError(.malformed, "\(reader.remaining) trailing bytes") }
        self.type = type
        self.signer = try! Ed25519.PublicKey(rawRepresentation: Array(signer))
        self.signature = Array(signature)
        self.payload = Array(payload)
        self.bytes = bytes
    }

    /// Parses and verifies: the type must be `expected` and the signature must hold.
    public static func open(
        _ bytes: [UInt8], expecting expected: EnvelopeType, maximumPayload: Int = Envelope.defaultMaximumPayload
    ) throws(EnvelopeError) -> Envelope {
        let envelope = try Envelope(decoding: bytes, maximumPayload: maximumPayload)
        guard envelope.type == expected else {
            throw EnvelopeError(.wrongType, "expected an envelope of type \(expected), got \(envelope.type)")
        }
        try envelope.verify()
        return envelope
    }

    /// Checks the signature over the received bytes.
    public func verify() throws(EnvelopeError) {
        guard signer.isValidSignature(signature, for: Envelope.signingInput(type: type, payload: payload)) else {
            throw EnvelopeError(.badSignature, "signature by \(NodeID(publicKey: signer).short) does not verify")
        }
    }

    /// BLAKE2b-256 of the envelope's bytes.
    public var id: ObjectID { ObjectID(uncheckedBytes: BLAKE2b.hash(bytes, outputLength: 32)) }
}

/// What kind of object an envelope holds, e.g. `oms/note`. Lower-case ASCII letters, digits and
/// `/ . _ -`, 1 to 64 characters, so it is safe to print and to use as a domain tag.
public struct EnvelopeType: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(EnvelopeError) {
        let utf8 = rawValue.utf8
        guard (1...64).contains(utf8.count) else {
            throw EnvelopeError(.malformed, "type must be 1 to 64 characters, got \(utf8.count)")
        }
        for c in utf8 {
            let ok = (97...122).contains(c) || (48...57).contains(c) || c == 47 || c == 46 || c == 95 || c == 45
            guard ok else { throw EnvelopeError(.malformed, "type '\(rawValue)' may only use a-z 0-9 / . _ -") }
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// A short text a node sends to a peer: the demo's signed messages.
    public static let note = try! EnvelopeType("oms/note")
}
public typealias EnvelopeError = CodedError<EnvelopeErrorDomain>

public enum EnvelopeErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { "envelope \(code): \(context)" }
}

extension CodedError.Code where Domain == EnvelopeErrorDomain {
    public static var malformed: Self { Self("malformed") }
    public static var unsupportedVersion: Self { Self("unsupportedVersion") }
    public static var tooLarge: Self { Self("tooLarge") }
    public static var wrongType: Self { Self("wrongType") }
    public static var badSignature: Self { Self("badSignature") }
}
