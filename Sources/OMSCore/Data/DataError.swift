import OMSCrypto

/// Why data was refused or could not be read: a batch that breaks a stream's schema, a stream
/// that does not exist, a device token that is not allowed to write where it tried.
public typealias DataError = CodedError<DataErrorDomain>

public enum DataErrorDomain: ErrorDomain {}

extension CodedError.Code where Domain == DataErrorDomain {
    /// Not JSON, or not the shape of a record.
    public static var malformed: Self { Self("malformed") }
    /// A field is missing, of the wrong type or out of its range.
    public static var invalidField: Self { Self("invalidField") }
    /// A stream the TCC has not declared (or a built-in name used wrongly).
    public static var unknownStream: Self { Self("unknownStream") }
    /// The device's token does not cover this stream.
    public static var notAllowed: Self { Self("notAllowed") }
    /// More records, bytes or fields than a batch may hold.
    public static var tooLarge: Self { Self("tooLarge") }
    /// A declared stream's schema is not a valid one.
    public static var invalidSchema: Self { Self("invalidSchema") }
}

/// A batch refused whole, and where: the line (1-based, in the body as sent), the record
/// (1-based) and the field at fault, so a device's developer can fix the exact spot.
public struct BatchRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public let error: DataError
    public let line: Int
    public let record: Int
    public let field: String?

    public init(_ error: DataError, line: Int, record: Int, field: String? = nil) {
        self.error = error
        self.line = line
        self.record = record
        self.field = field
    }

    public var description: String {
        let at = field.map { "line \(line), record \(record), field '\($0)'" } ?? "line \(line), record \(record)"
        return "\(at): \(error)"
    }
}
