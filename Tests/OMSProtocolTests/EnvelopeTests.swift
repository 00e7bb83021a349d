import OMSCrypto
import OMSProtocol
import Testing

/// Envelope decoding bounds and rules that the vectors do not pin down byte for byte.
struct EnvelopeTests {
    let key = try! Ed25519.PrivateKey(seed: Array(repeating: 7, count: 32))

    /// The bytes up to and including the payload length, for a hand-made length field.
    func header(type: String = "oms/note", payloadLength: UInt32) -> [UInt8] {
        var bytes = Array("OMSE".utf8) + [1, UInt8(type.utf8.count)] + Array(type.utf8)
        bytes += key.publicKey.rawRepresentation
        bytes += [UInt8](repeating: 0, count: 64)
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: payloadLength >> $0) }
        return bytes
    }

    @Test func hugePayloadLengthWithATinyBufferIsRefusedNotAllocated() {
        let bytes = header(payloadLength: 0xFFFF_FFFF) + [1, 2, 3]
        #expect(throws: EnvelopeError.self) { try Envelope(decoding: bytes) }
        do {
            _ = try Envelope(decoding: bytes)
        } catch {
            #expect(error.code == .tooLarge)
        }
        // Even with no limit at all, the length is checked against what is present.
        do {
            _ = try Envelope(decoding: bytes, maximumPayload: Int(UInt32.max))
            Issue.record("accepted a payload length beyond the buffer")
        } catch {
            #expect(error.code == .malformed)
        }
    }

    @Test func payloadLengthJustBeyondThePresentBytesIsMalformed() {
        let bytes = header(payloadLength: 4) + [1, 2, 3]
        do {
            _ = try Envelope(decoding: bytes)
            Issue.record("accepted a truncated payload")
        } catch {
            #expect(error.code == .malformed)
        }
    }

    @Test func everyTruncationIsRefused() throws {
        let full = Envelope.sign(type: .note, payload: Array("hi".utf8), with: key).bytes
        for length in 0..<full.count {
            #expect(throws: EnvelopeError.self) { try Envelope(decoding: Array(full[..<length])) }
        }
        _ = try Envelope(decoding: full)
    }

    @Test func roundTripAndOpen() throws {
        let payload = Array("a note".utf8)
        let signed = Envelope.sign(type: .note, payload: payload, with: key)
        let opened = try Envelope.open(signed.bytes, expecting: .note)
        #expect(opened == signed)
        #expect(opened.payload == payload)
        #expect(opened.signer == key.publicKey)
        #expect(opened.id == signed.id)
        #expect(signed.bytes.count == 4 + 1 + 1 + 8 + 32 + 64 + 4 + payload.count)
    }

    @Test func openRefusesAnotherType() throws {
        let signed = Envelope.sign(type: try EnvelopeType("oms/test.other"), payload: [], with: key)
        do {
            _ = try Envelope.open(signed.bytes, expecting: .note)
            Issue.record("opened an envelope of the wrong type")
        } catch {
            #expect(error.code == .wrongType)
        }
    }

    @Test func payloadOverTheCallersLimitIsTooLarge() throws {
        let signed = Envelope.sign(type: .note, payload: Array(repeating: 1, count: 101), with: key)
        _ = try Envelope(decoding: signed.bytes, maximumPayload: 101)
        do {
            _ = try Envelope(decoding: signed.bytes, maximumPayload: 100)
            Issue.record("accepted a payload over the limit")
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    @Test func bitFlipsAnywhereAreRefused() throws {
        let signed = Envelope.sign(type: .note, payload: Array("flip me".utf8), with: key)
        for index in signed.bytes.indices {
            var damaged = signed.bytes
            damaged[index] ^= 0x01
            #expect(throws: EnvelopeError.self) {
                try Envelope.open(damaged, expecting: .note)
            }
        }
    }

    @Test(arguments: ["oms/note", "a", "oms/test.blob_v1", "x-y_z.0/9", String(repeating: "a", count: 64)])
    func typesThatAreAllowed(_ text: String) throws {
        #expect(try EnvelopeType(text).rawValue == text)
    }

    @Test(arguments: ["", "oms/Note", "oms note", "oms:note", "oms/n\u{e9}te", String(repeating: "a", count: 65)])
    func typesThatAreRefused(_ text: String) {
        #expect(throws: EnvelopeError.self) { try EnvelopeType(text) }
    }
}
