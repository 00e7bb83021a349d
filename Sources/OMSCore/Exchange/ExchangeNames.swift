import OMSProtocol

/// The name of an answer module a query asks for (`count`, `mean`, `time-inside`, ...): 1 to 32
/// of a-z 0-9 `-`. Any well-formed name decodes: which modules exist is the answering node's
/// business, which refuses others as `unknownModule`, so a newer module needs no new layout.
public struct ModuleName: Hashable, Sendable, CheckedText {
    public let rawValue: String
    public static let maximumLength = 32
    /// The modules of this version (`AnswerModule.name`).
    public static let builtIn: [String] = [
        "count", "sum", "mean", "min", "max", "histogram", "quantiles", "distance", "time-inside", "visited", "last-area", "raw",
    ]

    public init(_ text: String) throws(ExchangeError) {
        try requireASCII(text, "module name", 1...Self.maximumLength, "a-z 0-9 -") { isLowerAlphanumeric($0) || $0 == 0x2D }
        rawValue = text
    }
}

/// Checks the name of the stream a query asks about (`steps`, `heart_rate`, `gps.phone`): 1 to
/// 64 of a-z 0-9 `_ - .`, safe to print, to log and to match exactly against a policy's streams.
/// Kept as plain text in a query: whether it names a stream (whose own rule may be narrower) is
/// the answering node's to say, as `unknownStream`.
func requireStreamName(_ text: String) throws(ExchangeError) {
    try requireASCII(text, "stream name", 1...Query.maximumStreamLength, "a-z 0-9 _ - .") {
        isLowerAlphanumeric($0) || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E
    }
}

/// The id of a policy rule, as an answer or refusal names the rules that decided it: 1 to 64
/// bytes of visible ASCII (0x21 to 0x7E), so the asker can print it without escaping.
public struct RuleID: Hashable, Sendable, CheckedText {
    public let rawValue: String
    public static let maximumLength = 64

    public init(_ text: String) throws(ExchangeError) {
        try requireASCII(text, "rule id", 1...Self.maximumLength, "visible ASCII") { (0x21...0x7E).contains($0) }
        rawValue = text
    }
}

/// `a-z` and `0-9`.
func isLowerAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }

/// Checks that `text` is `lengths` bytes, each one `allowed`; `rule` says which in the error.
func requireASCII(
    _ text: String, _ what: String, _ lengths: ClosedRange<Int>, _ rule: String, _ allowed: (UInt8) -> Bool
) throws(ExchangeError) {
    guard lengths.contains(text.utf8.count) else {
        throw ExchangeError(.malformed, "a \(what) is \(lengths.lowerBound) to \(lengths.upperBound) bytes, not \(text.utf8.count)")
    }
    guard text.utf8.allSatisfy(allowed) else {
        throw ExchangeError(.malformed, "a \(what) may only use \(rule), not '\(text.printable(limit: 64))'")
    }
}

/// Checks free text a person reads (a query's purpose, a refusal's reason): at most `maximum`
/// bytes of UTF-8 without control characters (Unicode category Cc), as section 8's audiences.
func requireFreeText(_ text: String, _ what: String, maximum: Int) throws(ExchangeError) {
    guard text.utf8.count <= maximum else {
        throw ExchangeError(.malformed, "a \(what) is at most \(maximum) bytes, not \(text.utf8.count)")
    }
    guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
        throw ExchangeError(.malformed, "a \(what) may not contain control characters")
    }
}
