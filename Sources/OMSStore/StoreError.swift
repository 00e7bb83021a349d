/// Why the store refused: each message says what is wrong and what the owner can do.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// No node has been initialised in this data directory.
        public static let notInitialized = Code(name: "notInitialized")
        /// `oms init` ran on a directory that already holds a node.
        public static let alreadyInitialized = Code(name: "alreadyInitialized")
        /// The passphrase does not open the identity key.
        public static let wrongPassphrase = Code(name: "wrongPassphrase")
        /// The identity key needs a passphrase and none was given.
        public static let passphraseRequired = Code(name: "passphraseRequired")
        /// The key file is missing, unreadable, the wrong size, or readable by others.
        public static let badKeyFile = Code(name: "badKeyFile")
        /// Stored data failed an integrity check.
        public static let corrupt = Code(name: "corrupt")
        /// A value given to the store is not acceptable (e.g. a malformed address).
        public static let invalidArgument = Code(name: "invalidArgument")
    }

    public let code: Code
    public let context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { context }
}
