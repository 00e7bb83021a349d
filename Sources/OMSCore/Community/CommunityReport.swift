import OMSCrypto
import OMSProtocol

/// A community's combined answer to an institution's question, signed by the community's key
/// there (protocol-spec §15, "Institutions"). The institution's asker cannot check each member's
/// answer (it holds no community's log), so the community vouches for its aggregate, and says
/// how many of its members were asked and answered, or why the value is withheld. Payload:
/// ```
/// version u8 = 1 | query [32] | community [32] | reported u64 | asked u32 | answered u32
/// | has_value u8 | (tag u8 | value)? | reason_len u8 | reason
/// ```
public struct CommunityReport: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/community-report")
    static let version: UInt8 = 1
    public static let maximumReason = 200
    /// The layout with the most counts and the longest reason: 8294 bytes.
    public static let maximumPayload = 1 + 32 + 32 + 8 + 4 + 4 + 1 + (1 + 2 + 8 * Answer.maximumValues) + 1 + maximumReason

    public let query: ObjectID
    public let community: TCCID
    public let reported: UInt64
    public let asked: UInt32
    public let answered: UInt32
    /// The community's aggregate: a number or counts; nil when withheld.
    public let value: AnswerValue?
    /// Why the value is withheld; empty when it is given.
    public let reason: String

    public init(
        query: ObjectID, community: TCCID, reported: UInt64, asked: UInt32, answered: UInt32, value: AnswerValue?, reason: String = ""
    ) throws(ExchangeError) {
        guard answered <= asked else { throw ExchangeError(.malformed, "\(answered) members answered of \(asked) asked") }
        switch value {
        case .number(let x)?:
            guard !x.isInfinite else { throw ExchangeError(.malformed, "a report's number must not be infinite") }
        case .counts(let counts)?: try Answer.check(.counts(counts))
        case nil: break
        default: throw ExchangeError(.malformed, "a report carries a number or counts")
        }
        try requireFreeText(reason, "reason", maximum: Self.maximumReason)
        self.query = query
        self.community = community
        self.reported = reported
        self.asked = asked
        self.answered = answered
        self.value = value
        self.reason = reason
    }

    /// `text` as a reason may carry it: printable, and cut to at most 200 bytes on a scalar's
    /// boundary (why a value is withheld is the relay's own text, not the asker's).
    public static func reason(_ text: String) -> String {
        var fitted = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.printable(limit: maximumReason).unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= maximumReason else { break }
            fitted.append(scalar)
        }
        return String(fitted)
    }

    public static func == (a: Self, b: Self) -> Bool { a.encodePayload() == b.encodePayload() }
    public func hash(into hasher: inout Hasher) { hasher.combine(encodePayload()) }

    public func encodePayload() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += query.bytes + community.bytes
        bytes.appendBigEndian(reported)
        bytes.appendBigEndian(asked)
        bytes.appendBigEndian(answered)
        if let value {
            bytes.append(1)
            bytes.appendAnswerValue(value)
        } else {
            bytes.append(0)
        }
        bytes.appendShortText(reason)
        return bytes
    }

    public func signed(with key: Ed25519.PrivateKey) -> SignedCommunityReport {
        SignedCommunityReport(envelope: Envelope.sign(type: Self.type, payload: encodePayload(), with: key), report: self)
    }

    init(decoding payload: [UInt8]) throws(ExchangeError) {
        var reader = ByteReader(payload)
        try reader.requireExchangeVersion(Self.version, of: "community report")
        guard let query = reader.readArray(32), let community = reader.readArray(32) else {
            throw ExchangeError(.malformed, "truncated in the query or community id")
        }
        let reported = try reader.readUInt64("report time")
        guard let asked = reader.readUInt32(), let answered = reader.readUInt32() else {
            throw ExchangeError(.malformed, "truncated in the members asked and answering")
        }
        let value = try reader.readFlag("value") ? try reader.readAnswerValue() : nil
        guard let reasonLength = reader.readByte() else { throw ExchangeError(.malformed, "truncated before the reason") }
        let reason = try reader.readFreeText(Int(reasonLength), "reason", maximum: Self.maximumReason)
        try reader.requireExchangeEnd(of: "community report")
        try self.init(
            query: ObjectID(uncheckedBytes: query), community: TCCID(uncheckedBytes: community), reported: reported, asked: asked,
            answered: answered, value: value, reason: reason)
    }
}

/// A report with the envelope that carries it.
public struct SignedCommunityReport: Hashable, Sendable {
    public let envelope: Envelope
    public let report: CommunityReport

    public var id: ObjectID { envelope.id }
    public var signer: PersonaID { PersonaID(uncheckedBytes: envelope.signer.rawRepresentation) }

    init(envelope: Envelope, report: CommunityReport) {
        self.envelope = envelope
        self.report = report
    }

    public static func open(_ bytes: [UInt8]) throws(ExchangeError) -> SignedCommunityReport {
        let envelope = try ExchangeError.open(bytes, as: CommunityReport.type, maximumPayload: CommunityReport.maximumPayload)
        return SignedCommunityReport(envelope: envelope, report: try CommunityReport(decoding: envelope.payload))
    }

    /// The asker's check (section 15, "Institutions"): from the member asked, about its
    /// community, for the query sent.
    public func check(member: PersonaID, community: TCCID, query: ObjectID) throws(ExchangeError) {
        guard signer == member else {
            throw ExchangeError(.signerMismatch, "the report is not signed by \(community.short)'s key in the institution")
        }
        guard report.community == community else {
            throw ExchangeError(.signerMismatch, "the report speaks for \(report.community.short), not the community asked (\(community.short))")
        }
        guard report.query == query else { throw ExchangeError(.wrongQuery, "it reports on \(report.query), not the query sent (\(query))") }
    }
}
