/// The one shape of OMS errors: a code, from a per-domain set that grows by adding static
/// members (never an exhaustive enum that breaks callers), and a context that says what was
/// wrong and what to do. Each module names its domain and its codes; `CryptoError`,
/// `NoiseError`, `StoreError` and the rest are this type with their domain filled in.
public struct CodedError<Domain: ErrorDomain>: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { Domain.describe(code: code.name, context: context) }
}

/// Names a family of errors and how they read.
public protocol ErrorDomain: Sendable {
    static func describe(code: String, context: String) -> String
}

extension ErrorDomain {
    /// By default the code comes first, then the context.
    public static func describe(code: String, context: String) -> String { "\(code): \(context)" }
}
