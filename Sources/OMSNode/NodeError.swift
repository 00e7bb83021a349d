import OMSCrypto

/// Why the node could not do what it was asked; the message says what to do about it.
public typealias NodeError = CodedError<NodeErrorDomain>

public enum NodeErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { context }
}

extension CodedError.Code where Domain == NodeErrorDomain {
    public static var addressInUse: Self { Self("addressInUse") }
    public static var badAddress: Self { Self("badAddress") }
    public static var notRunning: Self { Self("notRunning") }
    public static var apiFailed: Self { Self("apiFailed") }
    /// There is no established session with the peer the call names.
    public static var noSession: Self { Self("noSession") }
}
