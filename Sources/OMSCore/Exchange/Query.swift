import OMSCrypto
import OMSProtocol

/// A signed question to another person's TCC: "how many steps did you take this week?",
/// asked of one answer module over one stream, never for the records themselves. The envelope
/// of type `oms/query` is the query, signed by the requester's key (a persona's, or a TCC's
/// root key); its payload (protocol-spec/README.md section 13) is
/// ```
/// version u8 = 1 | requester_len u8 | requester | target_len u8 | target | query_id [32]
/// | module_len u8 | module | stream_len u8 | stream | window_flag u8 [| from u64 | to u64]
/// | numbers_count u16 | numbers f64... | region_flag u8 [| latitude f64 | longitude f64 | radius f64]
/// | purpose_len u8 | purpose | issued u64 | expires u64
/// | presentation_count u8 | (presentation_len u32 | presentation)...
/// ```
/// with ids as printed text and times in Unix *milliseconds* (sections 8 to 10 use seconds).
///
/// `queryID` is 32 random bytes chosen by the requester: the answering node's replay key, and
/// the nonce of the claim presentations the query carries (section 8's presentations take a
/// 32-byte nonce the verifier chose; here the requester chooses it, and binding it into the
/// signed query makes each presentation good for this one query only). Answers and refusals
/// name the query by its *object id*, the hash of the envelope, which binds them to every
/// parameter asked.
public struct Query: Hashable, Sendable {
    public static let type = try! EnvelopeType("oms/query")
    static let version: UInt8 = 1
    public static let queryIDLength = 32
    /// A query lives at most 5 minutes, in milliseconds: long enough for a round trip through a
    /// slow node, short enough that the answering node's replay memory stays small.
    public static let maximumLifetime: UInt64 = 300_000
    /// Enough for a histogram's 1001 edges (1000 bins), the largest parameter list of a module.
    public static let maximumNumbers = 1001
    public static let maximumPurposeLength = 64
    public static let maximumStreamLength = 64
    public static let maximumPresentations = 4
    /// A presentation envelope: 106 bytes of envelope, its type, and section 8's 9390-byte payload.
    public static let maximumPresentationLength =
        106 + ClaimPresentation.type.rawValue.utf8.count + ClaimPresentation.maximumPayload
    /// The largest payload the layout allows (46555 bytes); a query envelope is opened with it.
    public static let maximumPayload =
        1 + 2 * (1 + ExchangeLimits.maximumIDText) + queryIDLength + (1 + ModuleName.maximumLength)
        + (1 + maximumStreamLength) + (1 + 16) + (2 + 8 * maximumNumbers) + (1 + 24) + (1 + maximumPurposeLength)
        + 16 + 1 + maximumPresentations * (4 + maximumPresentationLength)

    /// Who asks: a persona (an app's or community's view of a person) or a TCC itself.
    public enum Requester: Hashable, Sendable, CustomStringConvertible {
        case persona(PersonaID)
        case tcc(TCCID)

        /// The requester's public key, which signs the query.
        public var bytes: [UInt8] {
            switch self {
            case .persona(let id): id.bytes
            case .tcc(let id): id.bytes
            }
        }

        public var party: PartyID {
            switch self {
            case .persona(let id): .persona(id)
            case .tcc(let id): .tcc(id)
            }
        }

        public var description: String { party.description }

        /// The persona or TCC `party` names; nil for a node or TCF, which ask nothing.
        public init?(_ party: PartyID) {
            switch party {
            case .persona(let id): self = .persona(id)
            case .tcc(let id): self = .tcc(id)
            case .node, .tcf: return nil
            }
        }
    }

    /// The records a query covers, from and to in Unix milliseconds, both included.
    public struct Window: Hashable, Sendable {
        public let from: UInt64
        public let to: UInt64

        public init(from: UInt64, to: UInt64) throws(ExchangeError) {
            guard from <= to else { throw ExchangeError(.malformed, "a window starts at \(from), after its end \(to)") }
            self.from = from
            self.to = to
        }
    }

    public let requester: Requester
    public let target: TCCID
    public let queryID: [UInt8]
    public let module: ModuleName
    /// The stream asked about, 1 to 64 of a-z 0-9 `_ - .`.
    public let stream: String
    public let window: Window?
    /// The module's numeric parameters: a histogram's edges, quantiles' fractions, a coarse
    /// area's precision; empty for the others (see `answerModule()`).
    public let numbers: [Double]
    /// The module's region (time inside, visited), and it limits nothing else.
    public let region: Region?
    /// Why the requester asks, as a policy's `purposes` match it; nil when none is given.
    public let purpose: String?
    public let issued: UInt64
    public let expires: UInt64
    /// `oms/claim-presentation` envelopes as the requester sent them, made to the target's
    /// printed id with `queryID` as nonce. Not opened here: the answering node verifies them
    /// (`SignedQuery.verifyPresentations`) only after the cheaper checks have passed.
    public let presentations: [[UInt8]]

    public init(
        requester: Requester, target: TCCID, queryID: [UInt8], module: ModuleName, stream: String, window: Window? = nil,
        numbers: [Double] = [], region: Region? = nil, purpose: String? = nil, issued: UInt64, expires: UInt64,
        presentations: [[UInt8]] = []
    ) throws(ExchangeError) {
        guard queryID.count == Self.queryIDLength else {
            throw ExchangeError(.malformed, "a query id is \(Self.queryIDLength) bytes, not \(queryID.count)")
        }
        try requireStreamName(stream)
        guard numbers.count <= Self.maximumNumbers else {
            throw ExchangeError(.malformed, "\(numbers.count) numbers; a query carries at most \(Self.maximumNumbers)")
        }
        guard numbers.allSatisfy(\.isFinite) else { throw ExchangeError(.malformed, "a query's numbers must be finite") }
        if let purpose { try requireFreeText(purpose, "purpose", maximum: Self.maximumPurposeLength) }
        guard expires > issued else {
            throw ExchangeError(.malformed, "a query must expire after it is issued (issued \(issued), expires \(expires))")
        }
        guard expires - issued <= Self.maximumLifetime else {
            throw ExchangeError(.malformed, "a query lives at most \(Self.maximumLifetime) ms, not \(expires - issued)")
        }
        guard presentations.count <= Self.maximumPresentations else {
            throw ExchangeError(.malformed, "\(presentations.count) presentations; a query carries at most \(Self.maximumPresentations)")
        }
        if let long = presentations.first(where: { $0.count > Self.maximumPresentationLength }) {
            throw ExchangeError(.malformed, "a presentation of \(long.count) bytes; at most \(Self.maximumPresentationLength)")
        }
        self.requester = requester
        self.target = target
        self.queryID = queryID
        self.module = module
        self.stream = stream
        self.window = window
        self.numbers = numbers
        self.region = region
        // The layout has no way to say "an empty purpose": its empty text means none.
        self.purpose = purpose?.isEmpty == true ? nil : purpose
        self.issued = issued
        self.expires = expires
        self.presentations = presentations
    }

    public func encodePayload() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes.appendShortText(requester.description)
        bytes.appendShortText(target.description)
        bytes += queryID
        bytes.appendShortText(module.rawValue)
        bytes.appendShortText(stream)
        if let window {
            bytes.append(1)
            bytes.appendBigEndian(window.from)
            bytes.appendBigEndian(window.to)
        } else {
            bytes.append(0)
        }
        bytes.appendBigEndian(UInt16(numbers.count))
        for number in numbers { bytes.appendDouble(number) }
        if let region {
            bytes.append(1)
            bytes.appendDouble(region.latitude)
            bytes.appendDouble(region.longitude)
            bytes.appendDouble(region.radius)
        } else {
            bytes.append(0)
        }
        bytes.appendShortText(purpose ?? "")
        bytes.appendBigEndian(issued)
        bytes.appendBigEndian(expires)
        bytes.append(UInt8(presentations.count))
        for presentation in presentations {
            bytes.appendBigEndian(UInt32(presentation.count))
            bytes += presentation
        }
        return bytes
    }

    /// Signs the query; `key` must be the requester's.
    public func signed(with key: Ed25519.PrivateKey) throws(ExchangeError) -> SignedQuery {
        guard key.publicKey.rawRepresentation == requester.bytes else {
            throw ExchangeError(.signerMismatch, "the query names \(requester) as requester but another key signs it")
        }
        let envelope = Envelope.sign(type: Self.type, payload: encodePayload(), with: key)
        return SignedQuery(envelope: envelope, query: self)
    }

    init(decoding payload: [UInt8]) throws(ExchangeError) {
        var reader = ByteReader(payload)
        try reader.requireExchangeVersion(Self.version, of: "query")
        let party = try reader.readParty("requester")
        guard let requester = Requester(party) else {
            throw ExchangeError(.malformed, "a query's requester is a persona or a TCC, not \(party)")
        }
        guard case .tcc(let target) = try reader.readParty("target") else {
            throw ExchangeError(.malformed, "a query's target is a TCC")
        }
        guard let queryID = reader.readArray(Self.queryIDLength) else {
            throw ExchangeError(.malformed, "truncated in the query id")
        }
        let module = try reader.readName(ModuleName.self, "module")
        let streamBytes = try reader.readShortField("stream")
        guard streamBytes.allSatisfy({ $0 < 0x80 }) else { throw ExchangeError(.malformed, "the stream is not ASCII") }
        let stream = String(decoding: streamBytes, as: UTF8.self)
        var window: Window?
        if try reader.readFlag("window") {
            window = try Window(from: try reader.readUInt64("window start"), to: try reader.readUInt64("window end"))
        }
        let numbers = try reader.readDoubles("numbers", maximum: Self.maximumNumbers, allowingNaN: false)
        var region: Region?
        if try reader.readFlag("region") {
            let latitude = try reader.readDouble("latitude")
            let longitude = try reader.readDouble("longitude")
            let radius = try reader.readDouble("radius")
            do {
                region = try Region(latitude: latitude, longitude: longitude, radius: radius)
            } catch {
                throw ExchangeError(.malformed, error.context)
            }
        }
        guard let purposeLength = reader.readByte() else { throw ExchangeError(.malformed, "truncated before the purpose") }
        let purpose = try reader.readFreeText(Int(purposeLength), "purpose", maximum: Self.maximumPurposeLength)
        let issued = try reader.readUInt64("issued time")
        let expires = try reader.readUInt64("expiry time")
        guard let count = reader.readByte() else { throw ExchangeError(.malformed, "truncated before the presentation count") }
        guard count <= Self.maximumPresentations else {
            throw ExchangeError(.malformed, "\(count) presentations; a query carries at most \(Self.maximumPresentations)")
        }
        var presentations: [[UInt8]] = []
        for _ in 0..<count {
            guard let length = reader.readUInt32() else {
                throw ExchangeError(.malformed, "truncated before a presentation's length")
            }
            guard length <= Self.maximumPresentationLength, let bytes = reader.readArray(Int(length)) else {
                throw ExchangeError(.malformed, "a presentation's length \(length) is beyond the limit or the bytes present")
            }
            presentations.append(bytes)
        }
        try reader.requireExchangeEnd(of: "query")
        try self.init(
            requester: requester, target: target, queryID: queryID, module: module, stream: stream, window: window,
            numbers: numbers, region: region, purpose: purpose, issued: issued, expires: expires, presentations: presentations)
    }
}

/// A query with the envelope that carries it: what is sent, stored and answered.
public struct SignedQuery: Hashable, Sendable {
    public let envelope: Envelope
    public let query: Query
    /// The envelope's object id, which answers and refusals name.
    public let id: ObjectID

    init(envelope: Envelope, query: Query) {
        self.envelope = envelope
        self.query = query
        id = envelope.id
    }

    /// Opens and decodes, checking only what needs no clock and no state: the layout, the
    /// signature, and that the requester is the signer. `QueryVerifier` adds the target, the
    /// times and the replay window.
    public static func open(_ bytes: [UInt8]) throws(ExchangeError) -> SignedQuery {
        let envelope = try ExchangeError.open(bytes, as: Query.type, maximumPayload: Query.maximumPayload)
        let query = try Query(decoding: envelope.payload)
        guard query.requester.bytes == envelope.signer.rawRepresentation else {
            throw ExchangeError(.signerMismatch, "the query names \(query.requester) as requester but another key signed it")
        }
        return SignedQuery(envelope: envelope, query: query)
    }

    /// Verifies every presentation the query carries, as the answering node does before its
    /// policy sees the claims: each must verify (section 8) for the target's printed id as
    /// audience and the query id as nonce at `now` (Unix milliseconds, rounded down to the
    /// seconds presentations use), and be presented by the requester itself, so a query cannot
    /// borrow someone else's claims. Any failure is `badPresentation`, naming the presentation.
    public func verifyPresentations(with verifier: ClaimVerifier, at now: UInt64) throws(ExchangeError) -> [ClaimPresentation] {
        let audience: Audience
        do {
            audience = try Audience(query.target.description)
        } catch {
            throw ExchangeError(.badPresentation, error.context)
        }
        var verified: [ClaimPresentation] = []
        for (index, bytes) in query.presentations.enumerated() {
            let presentation: ClaimPresentation
            do {
                presentation = try verifier.verify(presentation: bytes, audience: audience, nonce: query.queryID, at: now / 1000)
            } catch {
                throw ExchangeError(.badPresentation, "presentation \(index + 1): \(error.code.name): \(error.context)")
            }
            guard presentation.envelope.signer.rawRepresentation == query.requester.bytes else {
                throw ExchangeError(.badPresentation, "presentation \(index + 1) is not by the requester \(query.requester)")
            }
            verified.append(presentation)
        }
        return verified
    }
}
