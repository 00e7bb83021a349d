import OMSCrypto
import OMSProtocol

/// libFuzzer entry point for `Envelope(decoding:maximumPayload:)`: any bytes must either be
/// refused with an `EnvelopeError` or give an envelope whose fields add up to the bytes read;
/// a decoded envelope is then verified, which must return or throw, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    // A limit below the fuzzer's -max_len, so the tooLarge branch is reachable too.
    guard let envelope = try? Envelope(decoding: bytes, maximumPayload: 1 << 15) else { return 0 }
    // "OMSE" | version | type_len | type | signer [32] | signature [64] | payload_len u32 | payload
    let typeLength = envelope.type.rawValue.utf8.count
    precondition(envelope.bytes == bytes, "the envelope keeps other bytes than it decoded")
    precondition(bytes.count == 106 + typeLength + envelope.payload.count, "the fields do not add up to the bytes")
    precondition(Int(bytes[5]) == typeLength, "the type length byte disagrees with the type")
    precondition(envelope.signer.rawRepresentation.count == Ed25519.publicKeyLength)
    precondition(envelope.signature.count == Ed25519.signatureLength)
    precondition(Array(bytes.suffix(envelope.payload.count)) == envelope.payload, "the payload is not the tail")
    _ = try? envelope.verify()
    _ = envelope.id
    return 0
}
