import Foundation
import OMSProtocol

/// A stream's name: 1 to 64 of a-z, 0-9, `_ - .`, starting with a letter. It appears in
/// policies, URLs and the store's index, so it is kept to what needs no quoting anywhere.
public struct StreamName: Hashable, Sendable, Comparable, CheckedText {
    public let rawValue: String

    public init(_ text: String) throws(DataError) {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            bytes.allSatisfy(Self.allowed)
        else {
            throw DataError(
                .unknownStream, "'\(text.printable(limit: 64))' is not a stream name: 1 to 64 of a-z 0-9 _ - . starting with a letter")
        }
        rawValue = text
    }

    static func allowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"),
            UInt8(ascii: "."):
            true
        default: false
        }
    }

    public static func < (a: StreamName, b: StreamName) -> Bool { a.rawValue < b.rawValue }

    public static let gps = try! StreamName("gps")
    public static let steps = try! StreamName("steps")
    public static let heartRate = try! StreamName("heart_rate")
}

/// What a stream's records hold besides their time: named, typed fields, with ranges that
/// both validate input and bound each record's influence on a noisy answer. Built-in streams
/// (gps, steps, heart_rate) have fixed schemas; an owner declares others.
public struct StreamSchema: Hashable, Sendable, Codable {
    public enum FieldType: String, Hashable, Sendable, Codable {
        case number
        case integer
        case boolean
        case text
    }

    public struct Field: Hashable, Sendable, Codable {
        public var name: String
        public var type: FieldType
        public var required: Bool
        /// The range a number or integer must lie in; text fields use `maximum` as their
        /// length in bytes.
        public var minimum: Double?
        public var maximum: Double?

        public init(name: String, type: FieldType, required: Bool = true, minimum: Double? = nil, maximum: Double? = nil) {
            self.name = name
            self.type = type
            self.required = required
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    /// Built-in or declared; GPS streams answer location modules, the others numeric ones.
    public enum Kind: String, Hashable, Sendable, Codable {
        case gps
        case numeric
    }

    public static let maximumFields = 32
    public static let maximumTextLength = 1024

    public var kind: Kind
    public var fields: [Field]
    /// The field numeric answer modules compute over (steps: `count`).
    public var value: String?

    public init(kind: Kind = .numeric, fields: [Field], value: String?) throws(DataError) {
        guard (1...Self.maximumFields).contains(fields.count) else {
            throw DataError(.invalidSchema, "a stream has 1 to \(Self.maximumFields) fields, not \(fields.count)")
        }
        var seen: Set<String> = []
        for field in fields {
            guard Self.isFieldName(field.name), field.name != "time", field.name != "stream" else {
                throw DataError(
                    .invalidSchema, "'\(field.name.printable(limit: 32))' is not a field name: 1 to 32 of a-z 0-9 _, not time or stream")
            }
            guard seen.insert(field.name).inserted else { throw DataError(.invalidSchema, "two fields are named '\(field.name)'") }
            if let minimum = field.minimum, let maximum = field.maximum, !(minimum <= maximum) {
                throw DataError(.invalidSchema, "field '\(field.name)': minimum \(minimum) is above maximum \(maximum)")
            }
            if [field.minimum, field.maximum].contains(where: { $0.map { !$0.isFinite } ?? false }) {
                throw DataError(.invalidSchema, "field '\(field.name)': bounds must be finite")
            }
            if field.type == .text {
                // A text field's maximum is its length in bytes.
                guard field.minimum == nil, (field.maximum ?? 1).rounded() == field.maximum ?? 1,
                    (1...Double(Self.maximumTextLength)).contains(field.maximum ?? 1)
                else {
                    throw DataError(
                        .invalidSchema, "text field '\(field.name)': its maximum is a length from 1 to \(Self.maximumTextLength) bytes, and it has no minimum")
                }
            }
        }
        if kind == .gps {
            // Location modules read these two; a GPS stream without them could answer nothing.
            for (name, bound) in [("lat", 90.0), ("lon", 180.0)] {
                guard let field = fields.first(where: { $0.name == name }), field.type == .number, field.required,
                    let minimum = field.minimum, let maximum = field.maximum, minimum >= -bound, maximum <= bound
                else {
                    throw DataError(.invalidSchema, "a gps stream has a required number field '\(name)' within ±\(Int(bound))")
                }
            }
        }
        if let value {
            guard let field = fields.first(where: { $0.name == value }), field.type == .number || field.type == .integer,
                field.required, field.minimum != nil, field.maximum != nil
            else {
                throw DataError(
                    .invalidSchema,
                    "the value field '\(value.printable(limit: 32))' must be a required number or integer with a minimum and a maximum "
                        + "(they bound each record's weight in a noisy answer)")
            }
        }
        self.kind = kind
        self.fields = fields
        self.value = value
    }

    private enum CodingKeys: String, CodingKey { case kind, fields, value }

    /// Decoding checks what the initialiser checks: a schema from a request or a row is never
    /// one that could not have been made.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            kind: try container.decodeIfPresent(Kind.self, forKey: .kind) ?? .numeric, fields: try container.decode([Field].self, forKey: .fields),
            value: try container.decodeIfPresent(String.self, forKey: .value))
    }

    static func isFieldName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return (1...32).contains(bytes.count)
            && bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// The value field's position and bounds, for numeric answers.
    public var valueField: (index: Int, bounds: ClosedRange<Double>)? {
        guard let value, let index = fields.firstIndex(where: { $0.name == value }), let minimum = fields[index].minimum,
            let maximum = fields[index].maximum
        else { return nil }
        return (index, minimum...maximum)
    }

    public func index(of field: String) -> Int? { fields.firstIndex { $0.name == field } }

    /// The schema of a built-in stream, or nil for a name that is not built in.
    public static func builtIn(_ name: StreamName) -> StreamSchema? {
        switch name {
        case .gps: gps
        case .steps: steps
        case .heartRate: heartRate
        default: nil
        }
    }

    public static let gps = try! StreamSchema(
        kind: .gps,
        fields: [
            Field(name: "lat", type: .number, minimum: -90, maximum: 90),
            Field(name: "lon", type: .number, minimum: -180, maximum: 180),
            Field(name: "accuracy", type: .number, required: false, minimum: 0, maximum: 100_000),
            Field(name: "altitude", type: .number, required: false, minimum: -11_000, maximum: 100_000),
        ], value: nil)
    /// Steps counted since the previous record.
    public static let steps = try! StreamSchema(
        fields: [Field(name: "count", type: .integer, minimum: 0, maximum: 100_000)], value: "count")
    /// Beats per minute.
    public static let heartRate = try! StreamSchema(
        fields: [Field(name: "bpm", type: .number, minimum: 20, maximum: 300)], value: "bpm")
}
