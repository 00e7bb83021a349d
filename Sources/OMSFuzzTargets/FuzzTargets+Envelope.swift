import OMSCrypto
import OMSProtocol

extension FuzzTargets {
    /// `Envelope(decoding:)` on any bytes: refused, or an envelope whose fields add up to exactly
    /// the bytes read; a decoded envelope is then verified and hashed.
    public static func envelope(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        // A limit below the fuzzer's -max_len, so the tooLarge branch is reachable too.
        guard let envelope = try? Envelope(decoding: bytes, maximumPayload: 1 << 15) else { return }
        // "OMSE" | version | type_len | type | signer [32] | signature [64] | payload_len u32 | payload
        let typeLength = envelope.type.rawValue.utf8.count
        try invariant(envelope.bytes == bytes, "the envelope keeps other bytes than it decoded")
        try invariant(bytes.count == 106 + typeLength + envelope.payload.count, "the fields do not add up to the bytes")
        try invariant(Int(bytes[5]) == typeLength, "the type length byte disagrees with the type")
        try invariant(envelope.signer.rawRepresentation.count == Ed25519.publicKeyLength, "signer is not 32 bytes")
        try invariant(envelope.signature.count == Ed25519.signatureLength, "signature is not 64 bytes")
        try invariant(Array(bytes.suffix(envelope.payload.count)) == envelope.payload, "the payload is not the tail")
        _ = try? envelope.verify()
        _ = envelope.id
    }
}
