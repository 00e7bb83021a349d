import OMSCrypto
import OMSProtocol

/// One entry of a TCC's audit log: what happened (a kind and a detail), when, and its place in
/// the hash chain (protocol-spec/README.md, "Audit log"). Entries are numbered from 1; each hash
/// covers the previous entry's hash, so a changed, removed or reordered entry breaks the chain.
public struct AuditEntry: Sendable, Hashable {
    public var sequence: UInt64
    /// Milliseconds since the Unix epoch.
    public var time: UInt64
    public var kind: AuditKind
    /// What the entry is about, as the component that wrote it chose (typically UTF-8 JSON).
    public var detail: [UInt8]
    /// BLAKE2b-256 over the domain, the previous hash and this entry's fields.
    public var hash: [UInt8]

    public init(sequence: UInt64, time: UInt64, kind: AuditKind, detail: [UInt8], hash: [UInt8]) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.detail = detail
        self.hash = hash
    }
}

/// What an audit entry records, e.g. `key.use` or `data.access`: 1 to 64 characters of a-z,
/// 0-9 and `/ . _ -`, like an envelope type. Later issues add kinds as static members.
public struct AuditKind: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(EnvelopeError) {
        // The same rule as envelope types: safe to print, safe to put in a hashed byte string.
        self.rawValue = try EnvelopeType(rawValue).rawValue
    }

    public var description: String { rawValue }

    public static let keyUse = try! AuditKind("key.use")
    public static let login = try! AuditKind("login")
    public static let policyChange = try! AuditKind("policy.change")
    public static let dataAccess = try! AuditKind("data.access")
    /// A query sent (by the asker's TCC), answered or refused (by the target's):
    /// protocol-spec §13, "Frames and audit".
    public static let exchangeAsk = try! AuditKind("exchange.ask")
    public static let exchangeAnswer = try! AuditKind("exchange.answer")
    public static let exchangeRefusal = try! AuditKind("exchange.refusal")
    /// Records written (a device's batch, an import).
    public static let dataWrite = try! AuditKind("data.write")
    public static let membership = try! AuditKind("membership")
    /// A connection to another party recorded in the TCC's registry.
    public static let relationship = try! AuditKind("relationship")
}
