import OMSCrypto
import OMSProtocol

/// Why a claim, presentation, persona link or sign-in answer was refused. The codes are the
/// strings of protocol-spec/README.md sections 8-10, which the test vectors name.
public typealias IdentityError = CodedError<IdentityErrorDomain>

public enum IdentityErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == IdentityErrorDomain {
    /// The bytes do not follow the layout: lengths, character rules, trailing bytes.
    public static var malformed: Self { Self("malformed") }
    public static var wrongType: Self { Self("wrongType") }
    public static var badSignature: Self { Self("badSignature") }
    /// A claim's issuer id is not the key that signed it.
    public static var issuerMismatch: Self { Self("issuerMismatch") }
    public static var notYetValid: Self { Self("notYetValid") }
    public static var expired: Self { Self("expired") }
    public static var revoked: Self { Self("revoked") }
    /// A presentation is signed by another key than the claim's subject.
    public static var subjectMismatch: Self { Self("subjectMismatch") }
    public static var wrongAudience: Self { Self("wrongAudience") }
    public static var wrongNonce: Self { Self("wrongNonce") }
    /// Signed too long before (or after) the verifier's clock.
    public static var stale: Self { Self("stale") }
    /// A persona link is signed by another key than its first persona.
    public static var signerMismatch: Self { Self("signerMismatch") }
    /// A persona link joins a persona to itself.
    public static var sameKey: Self { Self("sameKey") }
    /// A sign-in answer to a challenge this verifier never issued (or forgot).
    public static var unknownNonce: Self { Self("unknownNonce") }
    /// A sign-in answer whose challenge was already answered.
    public static var replayed: Self { Self("replayed") }
}

extension IdentityError {
    /// Opens an envelope of `type`, with envelope failures told as identity errors.
    static func open(_ bytes: [UInt8], as type: EnvelopeType, maximumPayload: Int) throws(IdentityError) -> Envelope {
        do {
            return try Envelope.open(bytes, expecting: type, maximumPayload: maximumPayload)
        } catch {
            switch error.code {
            case .wrongType: throw IdentityError(.wrongType, error.context)
            case .badSignature: throw IdentityError(.badSignature, error.context)
            default: throw IdentityError(.malformed, error.context)
            }
        }
    }
}
