import OMSCrypto
import OMSProtocol

/// Why a query, answer or refusal was refused (protocol-spec/README.md section 13). The codes
/// are the spec's strings, which the test vectors name and which a refusal carries back to the
/// asker (`RefusalCode(_:)`), so the asker learns exactly which check its query failed.
public typealias ExchangeError = CodedError<ExchangeErrorDomain>

public enum ExchangeErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == ExchangeErrorDomain {
    /// The bytes break the layout: a length, a character rule, a value rule, trailing bytes.
    public static var malformed: Self { Self("malformed") }
    public static var wrongType: Self { Self("wrongType") }
    public static var badSignature: Self { Self("badSignature") }
    /// The party the object names (a query's requester, an answer's target) did not sign it,
    /// or an answer or refusal is signed by neither the target asked nor the node asked.
    public static var signerMismatch: Self { Self("signerMismatch") }
    /// The query's target TCC is not hosted by the node that received it.
    public static var unknownTarget: Self { Self("unknownTarget") }
    /// Issued more than the skew (300 s) after the answering node's clock.
    public static var notYetValid: Self { Self("notYetValid") }
    /// The answering node's clock is at or past the query's `expires`.
    public static var expired: Self { Self("expired") }
    /// A query id the answering node has already accepted.
    public static var replayed: Self { Self("replayed") }
    /// The replay window is full of unexpired ids: the node refuses rather than forget one.
    public static var busy: Self { Self("busy") }
    /// A presentation in the query does not verify for this query's target and id, or is not
    /// the requester's.
    public static var badPresentation: Self { Self("badPresentation") }
    /// The query names a module the answering node does not have.
    public static var unknownModule: Self { Self("unknownModule") }
    /// The module's parameters (numbers, region) do not fit the module.
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// An answer or refusal names another query than the one the asker sent.
    public static var wrongQuery: Self { Self("wrongQuery") }
}

extension ExchangeError {
    /// Opens an envelope of `type` with the rules of section 8 ("Opening"): section 2's refusals
    /// 1 to 6 are all `malformed`.
    static func open(_ bytes: [UInt8], as type: EnvelopeType, maximumPayload: Int) throws(ExchangeError) -> Envelope {
        do {
            return try Envelope.open(bytes, expecting: type, maximumPayload: maximumPayload)
        } catch {
            throw ExchangeError(error)
        }
    }

    /// An envelope refusal as the exchange reports it.
    init(_ error: EnvelopeError) {
        switch error.code {
        case .wrongType: self.init(.wrongType, error.context)
        case .badSignature: self.init(.badSignature, error.context)
        default: self.init(.malformed, error.context)
        }
    }
}
