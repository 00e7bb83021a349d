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
        let trust: UInt8
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
    /// decodes, carries a 32-byte key, a 64-byte signature and a trust of 1 to 3, and the
    /// signature by that key over the domain tag, the peer's Noise static key and the trust
    /// verifies. Returns the peer's node id. The node's own reading must agree.
    static func accept(payload: [UInt8], remoteStatic: [UInt8]) -> NodeID? {
        let ours = try? HandshakeIdentity.verify(payload: payload, remoteStatic: X25519.PublicKey(rawRepresentation: remoteStatic))
        guard let decoded = try? WireHandshakePayload(serializedBytes: payload),
            decoded.identityKey.count == Ed25519.publicKeyLength,
            decoded.identitySignature.count == Ed25519.signatureLength,
            (1...3).contains(decoded.trust.rawValue),
            let key = try? Ed25519.PublicKey(rawRepresentation: [UInt8](decoded.identityKey)),
            key.isValidSignature([UInt8](decoded.identitySignature), for: domain + remoteStatic + [UInt8(decoded.trust.rawValue)])
        else {
            #expect(ours == nil, "the node accepts a payload the rule refuses")
            return nil
        }
        #expect(ours?.node == NodeID(publicKey: key) && ours?.trust.rawValue == UInt8(decoded.trust.rawValue))
        return NodeID(publicKey: key)
    }

    @Test(arguments: file.valid)
    func signatureAndPayloadMatch(_ v: Valid) throws {
        let identity = try Ed25519.PrivateKey(seed: [UInt8](hex: v.identitySeed))
        #expect(identity.publicKey.rawRepresentation.hex == v.identityKey)
        #expect(NodeID(publicKey: identity.publicKey).description == v.nodeId)

        let noise = try X25519.PrivateKey(rawRepresentation: [UInt8](hex: v.noiseStaticPrivateKey))
        #expect(noise.publicKey.rawRepresentation.hex == v.noiseStaticPublicKey)

        let message = Self.domain + noise.publicKey.rawRepresentation + [v.trust]
        #expect(message.hex == v.signedMessage)
        let signature = identity.signature(for: message)
        #expect(signature.hex == v.identitySignature)

        var payload = WireHandshakePayload()
        payload.identityKey = Data(identity.publicKey.rawRepresentation)
        payload.identitySignature = Data(signature)
        payload.trust = try #require(WireNodeTrust(rawValue: Int(v.trust)))
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
