import OMSCrypto

/// Why a policy document was refused: what is wrong, and where (the rule's id or position).
public typealias PolicyError = CodedError<PolicyErrorDomain>

public enum PolicyErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { "policy \(code): \(context)" }
}

extension CodedError.Code where Domain == PolicyErrorDomain {
    /// Not YAML, or not the shape of a policy document.
    public static var malformed: Self { Self("malformed") }
    /// Larger than a policy may be (bytes or rules).
    public static var tooLarge: Self { Self("tooLarge") }
    /// Two rules with one id.
    public static var duplicateRule: Self { Self("duplicateRule") }
    /// A value out of its range (a negative epsilon, an empty window).
    public static var invalidValue: Self { Self("invalidValue") }
}
