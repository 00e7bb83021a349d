import OMSCrypto
import OMSProtocol

/// Why a query got no answer, signed so the asker can show it and audit it. The envelope of
/// type `oms/refusal` is the refusal; its payload (protocol-spec/README.md section 13) is
/// ```
/// version u8 = 1 | query [32] | refused_at u64 | code_len u8 | code
/// | rule_count u8 | (rule_len u8 | rule)... | reason_len u16 | reason
/// ```
/// where `query` is the query envelope's object id, `refused_at` Unix milliseconds, the rules
/// the forbid rules that decided (none for the default deny), and `reason` words for people.
///
/// Who signs: the target TCC's root key once the query decoded and names a TCC the node hosts;
/// otherwise (the query did not open or decode, its requester did not sign it, or its target
/// is not hosted here) the answering node's identity key, the only key the node then has.
/// The asker accepts either, and no other (`AnswerCheck`).
public struct Refusal: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/refusal")
    static let version: UInt8 = 1
    public static let maximumReasonLength = 512
    /// The largest payload the layout allows (1629 bytes); a refusal envelope is opened with it.
    public static let maximumPayload =
        1 + 32 + 8 + (1 + RefusalCode.maximumLength) + ExchangeLimits.maximumRulesLength + 2 + maximumReasonLength

    public let query: ObjectID
    public let refusedAt: UInt64
    public let code: RefusalCode
    public let rules: [RuleID]
    public let reason: String

    public init(query: ObjectID, refusedAt: UInt64, code: RefusalCode, rules: [RuleID] = [], reason: String = "")
        throws(ExchangeError)
    {
        try requireRules(rules)
        try requireFreeText(reason, "reason", maximum: Self.maximumReasonLength)
        self.query = query
        self.refusedAt = refusedAt
        self.code = code
        self.rules = rules
        self.reason = reason
    }

    public func encodePayload() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += query.bytes
        bytes.appendBigEndian(refusedAt)
        bytes.appendShortText(code.rawValue)
        bytes.appendRules(rules)
        bytes.appendBigEndian(UInt16(reason.utf8.count))
        bytes += reason.utf8
        return bytes
    }

    /// Signs the refusal with the target TCC's root key or the answering node's identity key,
    /// as the rule above says; the asker refuses any other signer.
    public func signed(with key: Ed25519.PrivateKey) -> SignedRefusal {
        SignedRefusal(envelope: Envelope.sign(type: Self.type, payload: encodePayload(), with: key), refusal: self)
    }

    init(decoding payload: [UInt8]) throws(ExchangeError) {
        var reader = ByteReader(payload)
        try reader.requireExchangeVersion(Self.version, of: "refusal")
        guard let query = reader.readArray(32) else { throw ExchangeError(.malformed, "truncated in the query's object id") }
        let refusedAt = try reader.readUInt64("refusal time")
        let code = try reader.readName(RefusalCode.self, "refusal code")
        let rules = try reader.readRules()
        guard let reasonLength = reader.readUInt16() else { throw ExchangeError(.malformed, "truncated before the reason") }
        let reason = try reader.readFreeText(Int(reasonLength), "reason", maximum: Self.maximumReasonLength)
        try reader.requireExchangeEnd(of: "refusal")
        try self.init(query: ObjectID(uncheckedBytes: query), refusedAt: refusedAt, code: code, rules: rules, reason: reason)
    }
}

/// What a refusal says went wrong: 1 to 32 ASCII letters. Decoders accept any such code, so a
/// newer node may refuse for reasons this one does not name; the codes of this version are
/// the static members, and each `ExchangeError` a verifier throws has its own (same string).
public struct RefusalCode: Hashable, Sendable, CheckedText {
    public let rawValue: String
    public static let maximumLength = 32

    public init(_ text: String) throws(ExchangeError) {
        try requireASCII(text, "refusal code", 1...Self.maximumLength, "a-z A-Z") {
            (0x61...0x7A).contains($0) || (0x41...0x5A).contains($0)
        }
        rawValue = text
    }

    /// The refusal that tells the asker about `error`, a check its query failed: the same
    /// string. (A code that is not one, which no check of this module throws, reads as denied.)
    public init(_ error: ExchangeError.Code) {
        self = (try? Self(error.name)) ?? .denied
    }

    private init(known: String) { rawValue = known }

    /// No rule permits the query, or a forbid rule matched.
    public static let denied = Self(known: "denied")
    /// The answer would cover fewer records than the policy's minimum.
    public static let tooFewRecords = Self(known: "tooFewRecords")
    /// The requester has spent its differential-privacy budget.
    public static let budgetExhausted = Self(known: "budgetExhausted")
    /// The requester asks more often than the policy's rate.
    public static let rateLimited = Self(known: "rateLimited")
    public static let replayed = Self(known: "replayed")
    public static let expired = Self(known: "expired")
    public static let notYetValid = Self(known: "notYetValid")
    public static let unknownTarget = Self(known: "unknownTarget")
    /// The target TCC keeps no stream of that name.
    public static let unknownStream = Self(known: "unknownStream")
    public static let unknownModule = Self(known: "unknownModule")
    public static let invalidParameter = Self(known: "invalidParameter")
    public static let badPresentation = Self(known: "badPresentation")
    /// The node cannot take the query now (its replay window is full); ask again later.
    public static let busy = Self(known: "busy")
    public static let malformed = Self(known: "malformed")
    public static let wrongType = Self(known: "wrongType")
    public static let badSignature = Self(known: "badSignature")
    public static let signerMismatch = Self(known: "signerMismatch")
}

/// A refusal with the envelope that carries it.
public struct SignedRefusal: Hashable, Sendable {
    public let envelope: Envelope
    public let refusal: Refusal

    public var id: ObjectID { envelope.id }

    init(envelope: Envelope, refusal: Refusal) {
        self.envelope = envelope
        self.refusal = refusal
    }

    /// Opens and decodes. Who may sign depends on the query refused, which `AnswerCheck` knows.
    public static func open(_ bytes: [UInt8]) throws(ExchangeError) -> SignedRefusal {
        let envelope = try ExchangeError.open(bytes, as: Refusal.type, maximumPayload: Refusal.maximumPayload)
        return SignedRefusal(envelope: envelope, refusal: try Refusal(decoding: envelope.payload))
    }
}
