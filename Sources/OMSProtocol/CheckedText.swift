/// A string checked when it is made (a network id, a name, a claim type, an audience): it is
/// written as the plain string, and reading it back goes through the same check, so a value
/// that decodes is always one that could have been made.
public protocol CheckedText: Codable, CustomStringConvertible {
    associatedtype CheckError: Error
    var rawValue: String { get }
    init(_ rawValue: String) throws(CheckError)
}

extension CheckedText {
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
