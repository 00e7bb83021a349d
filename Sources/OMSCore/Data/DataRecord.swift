/// One record of a stream: when (milliseconds since the Unix epoch) and its fields' values,
/// in the order of the stream's schema (nil for an absent optional field).
public struct DataRecord: Hashable, Sendable {
    public var time: Int64
    public var values: [FieldValue?]

    public init(time: Int64, values: [FieldValue?]) {
        self.time = time
        self.values = values
    }
}

public enum FieldValue: Hashable, Sendable {
    case number(Double)
    case integer(Int64)
    case boolean(Bool)
    case text(String)

    /// The value as a number, for answers (integers widen; booleans and text have none).
    public var number: Double? {
        switch self {
        case .number(let x): x
        case .integer(let n): Double(n)
        case .boolean, .text: nil
        }
    }
}
