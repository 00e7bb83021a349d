import OMSCrypto

/// Why a hosting request (TCFs, TCCs, personas, the registry) was refused.
public typealias HostingError = CodedError<HostingErrorDomain>

public enum HostingErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { context }
}

extension CodedError.Code where Domain == HostingErrorDomain {
    public static var invalidName: Self { Self("invalidName") }
    /// Something with this id or name is already there.
    public static var duplicate: Self { Self("duplicate") }
    public static var notFound: Self { Self("notFound") }
    /// The TCF is stopped: start it first.
    public static var stopped: Self { Self("stopped") }
    /// The request does not fit this TCC (e.g. a persona on a community TCC).
    public static var notAllowed: Self { Self("notAllowed") }
    /// An archive does not open: wrong passphrase, or the file was changed.
    public static var badArchive: Self { Self("badArchive") }
    public static var invalidArgument: Self { Self("invalidArgument") }
}
