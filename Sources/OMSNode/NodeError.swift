/// Why the node could not do what it was asked; the message says what to do about it.
public struct NodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let addressInUse = Code(name: "addressInUse")
        public static let badAddress = Code(name: "badAddress")
        public static let notRunning = Code(name: "notRunning")
        public static let controlFailed = Code(name: "controlFailed")
        /// There is no established session with the peer the call names.
        public static let noSession = Code(name: "noSession")
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { context }
}
