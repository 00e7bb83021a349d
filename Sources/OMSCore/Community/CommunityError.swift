import OMSCrypto
import OMSProtocol

/// Why an event was refused by a replica, or made void by the fold (protocol-spec/README.md
/// section 15). The codes are the spec's strings, which the vectors name and a `CommunityAck`
/// carries back to the sender, so every replica reports the same refusal in the same words.
public typealias CommunityError = CodedError<CommunityErrorDomain>

public enum CommunityErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == CommunityErrorDomain {
    // Opening: the bytes alone.
    public static var malformed: Self { Self("malformed") }
    public static var wrongType: Self { Self("wrongType") }
    public static var badSignature: Self { Self("badSignature") }
    // Accepting: the event against the log.
    public static var wrongCommunity: Self { Self("wrongCommunity") }
    public static var duplicate: Self { Self("duplicate") }
    public static var missingParents: Self { Self("missingParents") }
    public static var timeTravel: Self { Self("timeTravel") }
    public static var notYetValid: Self { Self("notYetValid") }
    // Applying: the event against the state before it.
    public static var notMember: Self { Self("notMember") }
    public static var alreadyMember: Self { Self("alreadyMember") }
    public static var wrongManifest: Self { Self("wrongManifest") }
    public static var notInvited: Self { Self("notInvited") }
    public static var badEvidence: Self { Self("badEvidence") }
    public static var alreadyConsented: Self { Self("alreadyConsented") }
    public static var unknownProposal: Self { Self("unknownProposal") }
    public static var closed: Self { Self("closed") }
    public static var notEligible: Self { Self("notEligible") }
    public static var doubleVote: Self { Self("doubleVote") }
    public static var tooEarly: Self { Self("tooEarly") }
    public static var notByVote: Self { Self("notByVote") }
    public static var notAuthorized: Self { Self("notAuthorized") }
    public static var notApplicant: Self { Self("notApplicant") }
    public static var invalidAction: Self { Self("invalidAction") }
    public static var lastAdmin: Self { Self("lastAdmin") }
}

extension CommunityError {
    init(_ error: EnvelopeError) {
        switch error.code {
        case .wrongType: self.init(.wrongType, error.context)
        case .badSignature: self.init(.badSignature, error.context)
        default: self.init(.malformed, error.context)
        }
    }
}
