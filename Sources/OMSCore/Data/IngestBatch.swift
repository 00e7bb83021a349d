import Foundation

/// A device's batch, parsed and checked whole: either every record is valid for its stream's
/// schema and the device may write that stream, or nothing is kept and the refusal names the
/// line, record and field at fault. Pure: the store writes an `IngestBatch` in one transaction.
public struct IngestBatch: Sendable {
    /// How the body is written: a JSON array of records, or one record per line (NDJSON).
    public enum Format: String, Sendable {
        case json
        case ndjson
    }

    /// A device may not send more in one batch; larger uploads are split by the device.
    public static let maximumRecords = 100_000
    public static let maximumBytes = 16 << 20
    /// Times are milliseconds since the epoch, from 1970 to the end of year 9999.
    public static let timeRange: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Records per stream, in the order sent.
    public private(set) var streams: [StreamName: [DataRecord]] = [:]
    public private(set) var count = 0

    /// Parses and checks `body`. `schema` gives a stream's schema (nil: the TCC has no such
    /// stream); `mayWrite` says whether the device's token covers a stream. The owner's import
    /// passes larger limits than a device's batch gets.
    public static func parse(
        _ body: [UInt8], format: Format, schema: @escaping (StreamName) -> StreamSchema?, mayWrite: @escaping (StreamName) -> Bool,
        maximumRecords: Int = IngestBatch.maximumRecords, maximumBytes: Int = IngestBatch.maximumBytes
    ) throws(BatchRefusal) -> IngestBatch {
        guard body.count <= maximumBytes else {
            throw BatchRefusal(DataError(.tooLarge, "a batch is at most \(maximumBytes) bytes; split it"), line: 1, record: 1)
        }
        var parser = Parser(schema: schema, mayWrite: mayWrite, maximumRecords: maximumRecords)
        try body.withUnsafeBufferPointer { (buffer) throws(BatchRefusal) in
            var scanner = FlatJSONScanner(buffer)
            switch format {
            case .json: try parser.readArray(&scanner)
            case .ndjson: try parser.readLines(&scanner)
            }
        }
        return parser.result
    }

    /// The parse's state: the batch so far and, per stream, its schema's field positions.
    private struct Parser {
        let schema: (StreamName) -> StreamSchema?
        let mayWrite: (StreamName) -> Bool
        let maximumRecords: Int
        var batch = IngestBatch()
        var known: [String: Known] = [:]
        /// The stream of the record before: batches are mostly runs of one stream, so its name
        /// is compared as bytes before any lookup.
        var last: Known?
        var fields: [(key: FlatJSONScanner.Text, value: FlatJSONScanner.Scalar)] = []
        /// Records per stream slot, gathered without hashing a stream name per record.
        var gathered: [[DataRecord]] = []

        /// The batch, its records grouped by stream.
        var result: IngestBatch {
            var batch = self.batch
            for entry in known.values where !gathered[entry.slot].isEmpty { batch.streams[entry.name] = gathered[entry.slot] }
            return batch
        }

        struct Known {
            /// Where this stream's records gather while the batch is read.
            var slot: Int
            var name: StreamName
            var nameBytes: [UInt8]
            var schema: StreamSchema
            var fieldNames: [[UInt8]]
        }

        static let streamKey = Array("stream".utf8)
        static let timeKey = Array("time".utf8)

        init(schema: @escaping (StreamName) -> StreamSchema?, mayWrite: @escaping (StreamName) -> Bool, maximumRecords: Int) {
            self.schema = schema
            self.mayWrite = mayWrite
            self.maximumRecords = maximumRecords
            fields.reserveCapacity(StreamSchema.maximumFields + 2)
        }

        mutating func readArray(_ scanner: inout FlatJSONScanner) throws(BatchRefusal) {
            scanner.skipWhitespace()
            try located(scanner) { () throws(FlatJSONScanner.Failure) in try scanner.expect(UInt8(ascii: "["), "'[' (a JSON array of records)") }
            scanner.skipWhitespace()
            if scanner.current == UInt8(ascii: "]") {
                scanner.position += 1
            } else {
                while true {
                    scanner.skipWhitespace()
                    try readRecord(&scanner)
                    scanner.skipWhitespace()
                    if scanner.current == UInt8(ascii: ",") {
                        scanner.position += 1
                        continue
                    }
                    try located(scanner) { () throws(FlatJSONScanner.Failure) in
                        try scanner.expect(UInt8(ascii: "]"), "',' or ']' after a record")
                    }
                    break
                }
            }
            scanner.skipWhitespace()
            guard scanner.atEnd else {
                throw refusal(.malformed, "nothing may follow the array \(scanner.found)", scanner)
            }
        }

        mutating func readLines(_ scanner: inout FlatJSONScanner) throws(BatchRefusal) {
            while true {
                scanner.skipWhitespace()
                if scanner.atEnd { return }
                try readRecord(&scanner)
                scanner.skipWhitespace(acrossLines: false)
                guard scanner.atEnd || scanner.current == UInt8(ascii: "\n") else {
                    throw refusal(.malformed, "one record per line: expected the end of the line \(scanner.found)", scanner)
                }
            }
        }

        private func refusal(_ code: DataError.Code, _ message: String, _ scanner: FlatJSONScanner, field: String? = nil) -> BatchRefusal {
            BatchRefusal(DataError(code, message), line: scanner.line, record: batch.count + 1, field: field)
        }

        private func located(_ scanner: FlatJSONScanner, _ body: () throws(FlatJSONScanner.Failure) -> Void) throws(BatchRefusal) {
            do throws(FlatJSONScanner.Failure) { try body() } catch {
                throw refusal(.malformed, error.message, scanner, field: error.field)
            }
        }

        mutating func readRecord(_ scanner: inout FlatJSONScanner) throws(BatchRefusal) {
            guard batch.count < maximumRecords else {
                throw refusal(.tooLarge, "a batch holds at most \(maximumRecords) records; split it", scanner)
            }
            let line = scanner.line
            do throws(FlatJSONScanner.Failure) {
                try scanner.readObject(into: &fields, maximumFields: StreamSchema.maximumFields + 2)
            } catch {
                throw refusal(.malformed, error.message, scanner, field: error.field)
            }
            let record = batch.count + 1
            func fault(_ code: DataError.Code, _ message: String, field: String? = nil) -> BatchRefusal {
                BatchRefusal(DataError(code, message), line: line, record: record, field: field)
            }
            guard let streamField = fields.first(where: { scanner.equal($0.key, Self.streamKey) }), case .string(let streamText) = streamField.value else {
                throw fault(.invalidField, "every record names its stream as text", field: "stream")
            }
            let stream = try lookUp(streamText, scanner) { fault($0, $1, field: $2) }
            guard let timeField = fields.first(where: { scanner.equal($0.key, Self.timeKey) }) else {
                throw fault(.invalidField, "every record has a time", field: "time")
            }
            guard let time = Self.time(timeField.value, scanner) else { throw fault(.invalidField, Self.timeRule, field: "time") }
            var values = [FieldValue?](repeating: nil, count: stream.schema.fields.count)
            for (key, value) in fields {
                guard let index = stream.fieldNames.firstIndex(where: { scanner.equal(key, $0) }) else {
                    if scanner.equal(key, Self.streamKey) || scanner.equal(key, Self.timeKey) { continue }
                    let name = scanner.name(key)
                    throw fault(.invalidField, "stream \(stream.name) has no field '\(name)'", field: name)
                }
                let field = stream.schema.fields[index]
                do throws(FlatJSONScanner.Failure) {
                    values[index] = try Self.check(value, against: field, scanner)
                } catch {
                    throw fault(.invalidField, error.message, field: field.name)
                }
            }
            for (index, field) in stream.schema.fields.enumerated() where field.required && values[index] == nil {
                throw fault(.invalidField, "stream \(stream.name) needs field '\(field.name)'", field: field.name)
            }
            gathered[stream.slot].append(DataRecord(time: time, values: values))
            batch.count += 1
        }

        private mutating func lookUp(
            _ text: FlatJSONScanner.Text, _ scanner: FlatJSONScanner, _ fault: (DataError.Code, String, String?) -> BatchRefusal
        ) throws(BatchRefusal) -> Known {
            if let last, scanner.equal(text, last.nameBytes) { return last }
            guard let string = scanner.string(text) else { throw fault(.unknownStream, "a stream name is not valid UTF-8", "stream") }
            if let known = known[string] {
                last = known
                return known
            }
            guard let name = try? StreamName(string), let schema = schema(name) else {
                throw fault(.unknownStream, "this TCC has no stream '\(string.printable(limit: 64))' (declare it with 'oms stream declare')", "stream")
            }
            guard mayWrite(name) else {
                throw fault(.notAllowed, "this device's token does not cover stream \(name)", "stream")
            }
            let entry = Known(
                slot: gathered.count, name: name, nameBytes: Array(string.utf8), schema: schema, fieldNames: schema.fields.map { Array($0.name.utf8) })
            gathered.append([])
            known[string] = entry
            last = entry
            return entry
        }

        static let timeRule = "a time is milliseconds since the Unix epoch (an integer) or RFC 3339 text, from 1970 to 9999"

        static func time(_ value: FlatJSONScanner.Scalar, _ scanner: FlatJSONScanner) -> Int64? {
            switch value {
            case .number(_, let integer?) where IngestBatch.timeRange.contains(integer): return integer
            case .string(let raw):
                guard let text = scanner.string(raw) else { return nil }
                guard text.utf8.count <= 40 else { return nil }
                let date = (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))
                guard let date, date.timeIntervalSince1970 >= 0 else { return nil }
                let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
                return IngestBatch.timeRange.contains(ms) ? ms : nil
            default: return nil
            }
        }

        static func check(
            _ value: FlatJSONScanner.Scalar, against field: StreamSchema.Field, _ scanner: FlatJSONScanner
        ) throws(FlatJSONScanner.Failure) -> FieldValue? {
            func inRange(_ x: Double) throws(FlatJSONScanner.Failure) {
                if let minimum = field.minimum, x < minimum { throw .init(message: "\(x) is below the minimum \(minimum)") }
                if let maximum = field.maximum, x > maximum { throw .init(message: "\(x) is above the maximum \(maximum)") }
            }
            switch (field.type, value) {
            case (_, .null) where !field.required: return nil
            case (.number, .number(let x, _)):
                try inRange(x)
                return .number(x)
            case (.integer, .number(let x, let integer)):
                guard let integer else { throw .init(message: "expected an integer, not \(x)") }
                try inRange(Double(integer))
                return .integer(integer)
            case (.boolean, .boolean(let b)): return .boolean(b)
            case (.text, .string(let raw)):
                guard let text = scanner.string(raw) else { throw .init(message: "text is not valid UTF-8") }
                let limit = field.maximum.map { Int($0) } ?? StreamSchema.maximumTextLength
                guard text.utf8.count <= limit else { throw .init(message: "text longer than \(limit) bytes") }
                return .text(text)
            default:
                throw .init(message: "expected \(field.type == .integer ? "an integer" : field.type == .boolean ? "true or false" : "a \(field.type.rawValue)")\(field.required ? "" : " or null")")
            }
        }
    }
}
