import OMSCrypto

/// Why an answer was not computed: too few records, a spent budget, a bad parameter.
public typealias AnswerError = CodedError<AnswerErrorDomain>

public enum AnswerErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == AnswerErrorDomain {
    /// Fewer records than the policy's minimum count: answering would single someone out.
    public static var tooFewRecords: Self { Self("tooFewRecords") }
    /// The requester has spent its differential-privacy budget.
    public static var budgetExhausted: Self { Self("budgetExhausted") }
    /// The requester asked more often than the policy's rate allows.
    public static var rateLimited: Self { Self("rateLimited") }
    /// The query was answered before: each query is answered once.
    public static var replayed: Self { Self("replayed") }
    /// A module's parameter is out of range (no bins, a quantile outside 0...1).
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// The module does not apply to this stream (a distance over heart rates).
    public static var wrongStream: Self { Self("wrongStream") }
}
