import OMSTestKit
import Foundation
import OMSCrypto
import OMSProtocol
import Testing

/// `protocol-spec/vectors/handshake-identity.json`: the signature binding a Noise static key to a
/// node identity, and the protobuf `HandshakePayload` that carries it.
struct HandshakeIdentityVectorTests {
    struct File: Decodable {
        let valid: [Valid]
        let invalidStaticPublicKey: String
        let invalid: [Invalid]
    }

    struct Valid: Decodable, CustomTestStringConvertible {
        let name: String
        let identitySeed: String
        let identityKey: String
        let nodeId: String
        let noiseStaticPrivateKey: String
        let noiseStaticPublicKey: String
        let signedMessage: String
        let identitySignature: String
        let handshakePayload: String
        var testDescription: String { name }
    }

    struct Invalid: Decodable, CustomTestStringConvertible {
        let name: String
        let handshakePayload: String
        var testDescription: String { name }
    }

    static let file: File = try! ProtocolVectors.load("handshake-identity.json")
    static let domain = Array("oms/v1/noise-static-key".utf8) + [0]

    /// The rule of protocol-spec/README.md ("Transport"): a payload is accepted only if it
    /// decodes, carries a 32-byte key and a 64-byte signature, and the signature by that key over
    /// the domain tag and the peer's Noise static key verifies. Returns the peer's node id.
    static func accept(payload: [UInt8], remoteStatic: [UInt8]) -> NodeID? {
        guard let decoded = try? WireHandshakePayload(serializedBytes: payload),
            decoded.identityKey.count == Ed25519.publicKeyLength,
            decoded.identitySignature.count == Ed25519.signatureLength,
            let key = try? Ed25519.PublicKey(rawRepresentation: [UInt8](decoded.identityKey)),
            key.isValidSignature([UInt8](decoded.identitySignature), for: domain + remoteStatic)
        else { return nil }
        return NodeID(publicKey: key)
    }

    @Test(arguments: file.valid)
    func signatureAndPayloadMatch(_ v: Valid) throws {
        let identity = try Ed25519.PrivateKey(seed: [UInt8](hex: v.identitySeed))
        #expect(identity.publicKey.rawRepresentation.hex == v.identityKey)
        #expect(NodeID(publicKey: identity.publicKey).description == v.nodeId)

        let noise = try X25519.PrivateKey(rawRepresentation: [UInt8](hex: v.noiseStaticPrivateKey))
        #expect(noise.publicKey.rawRepresentation.hex == v.noiseStaticPublicKey)

        let message = Self.domain + noise.publicKey.rawRepresentation
        #expect(message.hex == v.signedMessage)
        let signature = identity.signature(for: message)
        #expect(signature.hex == v.identitySignature)

        var payload = WireHandshakePayload()
        payload.identityKey = Data(identity.publicKey.rawRepresentation)
        payload.identitySignature = Data(signature)
        let encoded: [UInt8] = try payload.serializedBytes()
        #expect(encoded.hex == v.handshakePayload)
        #expect(try WireHandshakePayload(serializedBytes: [UInt8](hex: v.handshakePayload)) == payload)

        let accepted = Self.accept(
            payload: [UInt8](hex: v.handshakePayload), remoteStatic: [UInt8](hex: v.noiseStaticPublicKey))
        #expect(accepted?.description == v.nodeId)
    }

    @Test(arguments: file.invalid)
    func invalidPayloadsAreRefused(_ v: Invalid) {
        let accepted = Self.accept(
            payload: [UInt8](hex: v.handshakePayload), remoteStatic: [UInt8](hex: Self.file.invalidStaticPublicKey))
        #expect(accepted == nil, "\(v.name)")
    }
}
