import OMSCrypto
import OMSProtocol

/// A TCC's answer to a query: the value one answer module computed, never records. The
/// envelope of type `oms/answer` is the answer, signed by the target TCC's root key; its payload
/// (protocol-spec/README.md section 13) is
/// ```
/// version u8 = 1 | query [32] | target_len u8 | target | answered u64 | tag u8 | value
/// | epsilon f64 | rule_count u8 | (rule_len u8 | rule)...
/// ```
/// where `query` is the query envelope's object id, `target` the TCC's printed id (the signer),
/// `answered` Unix milliseconds, and the value by tag: 1 number (f64), 2 counts and 3 numbers
/// (u16 count, at most 1001, then f64 each), 4 yes/no (u8 0 or 1), 5 area (latitude, longitude,
/// precision, f64 each), 6 records (u32 length, at most 65536, then that many bytes of UTF-8
/// ingest lines: only for the `raw` module, which a policy must permit explicitly). `epsilon` is the differential-privacy cost the answer spent (0: no
/// noise); the rules are the ids of the policy rules that permitted it.
///
/// Numbers are finite, except that `number` and `numbers` may be NaN, meaning "no value": the
/// mean, minimum or quantile of no records. NaN is written only as 0x7ff8000000000000, so a
/// value has one encoding. Infinities never are: no module over clamped records produces one.
public struct Answer: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/answer")
    /// The most bytes of records one answer carries; a requester narrows the window for more.
    public static let maximumRecordsBytes = 65_536
    static let version: UInt8 = 1
    /// As many values as a query can carry edges: a histogram has one bin fewer.
    public static let maximumValues = Query.maximumNumbers
    /// The largest payload the layout allows (66732 bytes, with the most records); an answer
    /// envelope is opened with it.
    public static let maximumPayload =
        1 + 32 + (1 + ExchangeLimits.maximumIDText) + 8 + 1 + max(2 + 8 * maximumValues, 4 + maximumRecordsBytes) + 8
        + ExchangeLimits.maximumRulesLength

    /// The value tags of the layout.
    enum Tag: UInt8 {
        case number = 1
        case counts = 2
        case numbers = 3
        case yesNo = 4
        case area = 5
        case records = 6
    }

    public let query: ObjectID
    public let target: TCCID
    public let answered: UInt64
    public let value: AnswerValue
    public let epsilon: Double
    public let rules: [RuleID]

    public init(
        query: ObjectID, target: TCCID, answered: UInt64, value: AnswerValue, epsilon: Double = 0, rules: [RuleID]
    ) throws(ExchangeError) {
        try Self.check(value)
        guard epsilon.isFinite, epsilon >= 0 else {
            throw ExchangeError(.malformed, "an answer's epsilon is finite and at least 0, not \(epsilon)")
        }
        try requireRules(rules)
        self.query = query
        self.target = target
        self.answered = answered
        self.value = value
        self.epsilon = epsilon
        self.rules = rules
    }

    /// Two answers are the same when they encode to the same bytes, which also makes an answer
    /// of NaN equal to itself.
    public static func == (a: Answer, b: Answer) -> Bool { a.encodePayload() == b.encodePayload() }

    public func hash(into hasher: inout Hasher) { hasher.combine(encodePayload()) }

    static func check(_ value: AnswerValue) throws(ExchangeError) {
        func finite(_ x: Double, _ what: String) throws(ExchangeError) {
            guard x.isFinite else { throw ExchangeError(.malformed, "an answer's \(what) must be finite, not \(x)") }
        }
        switch value {
        case .number(let x):
            guard !x.isInfinite else { throw ExchangeError(.malformed, "an answer's number must not be infinite") }
        case .counts(let xs):
            try requireCount(xs.count)
            for x in xs { try finite(x, "counts") }
        case .numbers(let xs):
            try requireCount(xs.count)
            guard !xs.contains(where: \.isInfinite) else {
                throw ExchangeError(.malformed, "an answer's numbers must not be infinite")
            }
        case .yesNo:
            break
        case .area(let latitude, let longitude, let precision):
            // Only finite, not within ±90/±180: the centre of the module's grid cell may lie half
            // a cell past a pole or the antimeridian.
            try finite(latitude, "latitude")
            try finite(longitude, "longitude")
            guard precision.isFinite, precision > 0 else {
                throw ExchangeError(.malformed, "an area's precision must be positive, not \(precision)")
            }
        case .records(let bytes):
            guard bytes.count <= maximumRecordsBytes else {
                throw ExchangeError(.malformed, "\(bytes.count) bytes of records; an answer carries at most \(maximumRecordsBytes)")
            }
            guard String(validating: bytes, as: UTF8.self) != nil else { throw ExchangeError(.malformed, "an answer's records are not UTF-8") }
        }
    }

    static func requireCount(_ count: Int) throws(ExchangeError) {
        guard count <= maximumValues else {
            throw ExchangeError(.malformed, "\(count) values; an answer carries at most \(maximumValues)")
        }
    }

    public func encodePayload() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += query.bytes
        bytes.appendShortText(target.description)
        bytes.appendBigEndian(answered)
        bytes.appendAnswerValue(value)
        bytes.appendDouble(epsilon)
        bytes.appendRules(rules)
        return bytes
    }

    /// Signs the answer; `key` must be the target TCC's root key.
    public func signed(with key: Ed25519.PrivateKey) throws(ExchangeError) -> SignedAnswer {
        guard key.publicKey.rawRepresentation == target.bytes else {
            throw ExchangeError(.signerMismatch, "the answer names \(target) as target but another key signs it")
        }
        return SignedAnswer(envelope: Envelope.sign(type: Self.type, payload: encodePayload(), with: key), answer: self)
    }

    init(decoding payload: [UInt8]) throws(ExchangeError) {
        var reader = ByteReader(payload)
        try reader.requireExchangeVersion(Self.version, of: "answer")
        guard let query = reader.readArray(32) else { throw ExchangeError(.malformed, "truncated in the query's object id") }
        guard case .tcc(let target) = try reader.readParty("target") else {
            throw ExchangeError(.malformed, "an answer's target is a TCC")
        }
        let answered = try reader.readUInt64("answer time")
        let value = try reader.readAnswerValue()
        let epsilon = try reader.readDouble("epsilon")
        let rules = try reader.readRules()
        try reader.requireExchangeEnd(of: "answer")
        try self.init(
            query: ObjectID(uncheckedBytes: query), target: target, answered: answered, value: value, epsilon: epsilon,
            rules: rules)
    }
}

/// An answer with the envelope that carries it, as the target TCC sends it back.
public struct SignedAnswer: Hashable, Sendable {
    public let envelope: Envelope
    public let answer: Answer

    public var id: ObjectID { envelope.id }

    init(envelope: Envelope, answer: Answer) {
        self.envelope = envelope
        self.answer = answer
    }

    /// Opens and decodes, checking that the target the answer names signed it. Whether it
    /// answers the query the asker sent is `AnswerCheck`'s to say.
    public static func open(_ bytes: [UInt8]) throws(ExchangeError) -> SignedAnswer {
        let envelope = try ExchangeError.open(bytes, as: Answer.type, maximumPayload: Answer.maximumPayload)
        let answer = try Answer(decoding: envelope.payload)
        guard answer.target.bytes == envelope.signer.rawRepresentation else {
            throw ExchangeError(.signerMismatch, "the answer names \(answer.target) as target but another key signed it")
        }
        return SignedAnswer(envelope: envelope, answer: answer)
    }
}
