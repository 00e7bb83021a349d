import OMSTestKit
import OMSCrypto
import OMSProtocol
import Testing

/// `protocol-spec/vectors/envelopes.json`: Swift signs, encodes, hashes and refuses envelopes
/// exactly as the independent Python implementation does.
struct EnvelopeVectorTests {
    struct File: Decodable {
        let maxPayload: Int
        let valid: [Valid]
        let invalid: [Invalid]
    }

    struct Valid: Decodable, CustomTestStringConvertible {
        let name: String
        let signerSeed: String
        let signerPublicKey: String
        let type: String
        let payload: String
        let signingInput: String
        let signature: String
        let envelope: String
        let objectIdHex: String
        let objectId: String
        var testDescription: String { name }
    }

    struct Invalid: Decodable, CustomTestStringConvertible {
        let name: String
        let envelope: String
        let error: String
        var testDescription: String { name }
    }

    static let file: File = try! ProtocolVectors.load("envelopes.json")

    @Test func fileHasTheCasesTheSpecPromises() {
        #expect(Self.file.valid.count >= 3)
        #expect(Self.file.invalid.count >= 10)
        #expect(Self.file.maxPayload == Envelope.defaultMaximumPayload)
        #expect(Set(Self.file.invalid.map(\.error)) == ["malformed", "unsupportedVersion", "tooLarge", "badSignature"])
    }

    @Test(arguments: file.valid)
    func signingGivesTheSameBytes(_ v: Valid) throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](hex: v.signerSeed))
        #expect(key.publicKey.rawRepresentation.hex == v.signerPublicKey)
        let envelope = Envelope.sign(type: try EnvelopeType(v.type), payload: [UInt8](hex: v.payload), with: key)
        #expect(envelope.signature.hex == v.signature)
        #expect(envelope.bytes.hex == v.envelope)
        #expect(envelope.id.bytes.hex == v.objectIdHex)
        #expect(envelope.id.description == v.objectId)
        // Deterministic signatures over the same message are equal, so the vector's signing input
        // is the message Swift signed; check it independently against the domain layout too.
        let input = [UInt8](hex: v.signingInput)
        #expect(key.publicKey.isValidSignature([UInt8](hex: v.signature), for: input))
        #expect(key.signature(for: input).hex == v.signature)
        let domain = Array("oms/v1/envelope".utf8) + [0, UInt8(v.type.utf8.count)] + Array(v.type.utf8)
        #expect(input == domain + [UInt8](hex: v.payload))
    }

    @Test(arguments: file.valid)
    func decodingGivesTheFieldsAndVerifies(_ v: Valid) throws {
        let bytes = [UInt8](hex: v.envelope)
        let envelope = try Envelope.open(bytes, expecting: try EnvelopeType(v.type))
        #expect(envelope.type.rawValue == v.type)
        #expect(envelope.signer.rawRepresentation.hex == v.signerPublicKey)
        #expect(envelope.signature.hex == v.signature)
        #expect(envelope.payload.hex == v.payload)
        #expect(envelope.bytes == bytes)
        #expect(envelope.id == (try ObjectID(parsing: v.objectId)))
        #expect(BLAKE2b.hash(bytes, outputLength: 32).hex == v.objectIdHex)
    }

    @Test(arguments: file.invalid)
    func invalidEnvelopesAreRefusedWithTheirCode(_ v: Invalid) {
        let bytes = [UInt8](hex: v.envelope)
        do {
            let envelope = try Envelope(decoding: bytes, maximumPayload: Self.file.maxPayload)
            try envelope.verify()
            Issue.record("accepted an envelope that must be refused: \(v.name)")
        } catch {
            #expect(error.code.description == v.error, "\(v.name): \(error)")
        }
    }
}
