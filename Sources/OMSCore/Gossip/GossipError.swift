import OMSCrypto
import OMSProtocol

/// Why a gossiped item, digest or membership update was refused (protocol-spec §17). The codes
/// are the spec's; each refusal is counted by code, and the invalid ones score the peer down.
public typealias GossipError = CodedError<GossipErrorDomain>

public enum GossipErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == GossipErrorDomain {
    /// Not the layout the spec gives, or over a bound.
    public static var malformed: Self { Self("malformed") }
    public static var badSignature: Self { Self("badSignature") }
    /// A manifest whose `discovery` is not `public`: never gossiped.
    public static var notPublic: Self { Self("notPublic") }
    /// An announcement not signed by the key that founded the community.
    public static var wrongSigner: Self { Self("wrongSigner") }
    /// An older version than the one held: a replay.
    public static var stale: Self { Self("stale") }
    /// A digest over its bound.
    public static var oversized: Self { Self("oversized") }
    /// Items beyond the peer's rate: dropped unread.
    public static var flood: Self { Self("flood") }
    /// A new item when the catalog is full.
    public static var full: Self { Self("full") }
}

extension GossipError {
    init(_ error: EnvelopeError) {
        self.init(error.code == .badSignature ? .badSignature : .malformed, error.context)
    }
}
