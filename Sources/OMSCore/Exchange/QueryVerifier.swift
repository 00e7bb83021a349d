import OMSCrypto
import OMSProtocol

/// The answering node's first checks of a query (protocol-spec/README.md section 13,
/// "Accepting a query"), before any policy or data is touched. Pure: the caller passes the
/// clock reading (Unix milliseconds) and which TCCs it hosts; no I/O. The checks run in this
/// order and the first that fails decides the error:
///
/// 1. open the envelope as `oms/query` with `Query.maximumPayload` (`malformed`, `wrongType`,
///    `badSignature`);
/// 2. decode the payload (`malformed`);
/// 3. the requester's 32 bytes are the signer (`signerMismatch`);
/// 4. the target is a TCC this node hosts (`unknownTarget`);
/// 5. `issued <= now + 300 000` (`notYetValid`);
/// 6. `now < expires` (`expired`);
/// 7. the query id has not been accepted before (`replayed`);
/// 8. there is room to remember it (`busy`).
///
/// An accepted query's id is remembered until `expires + 300 000` (then the query is refused as
/// expired anyway, even by a clock stepped back by up to the skew). A refused query consumes
/// nothing, so a forged or mangled copy cannot burn the id of a genuine one. The memory holds
/// at most `capacity` ids, and when all of them are unexpired the node refuses new queries as
/// `busy` rather than forget one early, which would reopen the door to a replay; queries live
/// at most 5 minutes, so room comes back within 10.
public struct QueryVerifier: Sendable {
    /// How far two honest clocks may differ, in milliseconds (section 8's 300 s).
    public static let skew: UInt64 = ExchangeLimits.skew

    public var capacity: Int { window.capacity }
    private var window: ReplayWindow

    public init(capacity: Int = 100_000) {
        window = ReplayWindow(capacity: capacity)
    }

    /// How many query ids are remembered now.
    public var rememberedCount: Int { window.count }

    /// Accepts a query for one of the TCCs `isHosted` says this node hosts, at `now` (Unix ms),
    /// and remembers its id; throws the first check it fails, remembering nothing.
    public mutating func accept(
        _ bytes: [UInt8], at now: UInt64, hosting isHosted: (TCCID) -> Bool
    ) throws(ExchangeError) -> SignedQuery {
        let signed = try SignedQuery.open(bytes)
        let query = signed.query
        guard isHosted(query.target) else {
            throw ExchangeError(.unknownTarget, "this node hosts no TCC \(query.target)")
        }
        guard query.issued <= now || query.issued - now <= Self.skew else {
            throw ExchangeError(.notYetValid, "the query is issued at \(query.issued) ms, more than \(Self.skew) ms after now (\(now))")
        }
        guard now < query.expires else {
            throw ExchangeError(.expired, "the query expired at \(query.expires) ms; it is now \(now)")
        }
        window.expire(now: now)
        let key = ReplayWindow.Key(query.queryID)
        guard !window.contains(key) else {
            throw ExchangeError(.replayed, "a query with this id was already accepted; ask again with a fresh id")
        }
        let (forgetAt, overflow) = query.expires.addingReportingOverflow(Self.skew)
        guard window.insert(key, until: overflow ? .max : forgetAt) else {
            throw ExchangeError(.busy, "\(window.count) queries are in flight, the most this node remembers; ask again later")
        }
        return signed
    }

    /// Forgets the ids whose queries have expired by more than the skew at `now`; `accept` does
    /// this itself, so calling it only frees memory sooner on an idle node.
    public mutating func expire(now: UInt64) {
        window.expire(now: now)
    }
}

/// Which key signs a refusal (section 13, "Refusals").
public enum RefusalSigner: Sendable {
    /// The answering node's identity key: the query is not yet known to name a TCC it hosts.
    case node
    /// The target TCC's root key.
    case target
}

extension CodedError.Code where Domain == ExchangeErrorDomain {
    /// Who signs the refusal of a query that failed with this code: the node until the query
    /// has decoded, is signed by its requester and names a hosted TCC (checks 1 to 4 of
    /// `QueryVerifier`), the target TCC for every later refusal.
    public var refusalSigner: RefusalSigner {
        switch self {
        case .malformed, .wrongType, .badSignature, .signerMismatch, .unknownTarget: .node
        default: .target
        }
    }
}
