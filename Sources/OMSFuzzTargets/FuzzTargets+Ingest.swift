import OMSCore

extension FuzzTargets {
    /// A declared stream with every field type, beside the built-in ones.
    static let fuzzMood = try! StreamSchema(
        fields: [
            .init(name: "score", type: .integer, minimum: 0, maximum: 10), .init(name: "note", type: .text, required: false, maximum: 64),
            .init(name: "shared", type: .boolean, required: false), .init(name: "level", type: .number, required: false),
        ], value: "score")

    static func fuzzSchema(_ name: StreamName) -> StreamSchema? { StreamSchema.builtIn(name) ?? (name.rawValue == "mood" ? fuzzMood : nil) }

    /// What devices send (`IngestBatch.parse`, both formats) and what the store reads back
    /// (`RecordBlock.decode`): a refused input is fine; an accepted batch must hold only records
    /// its schemas allow, and written back as export lines it must parse to the same records.
    public static func ingest(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        for format in [IngestBatch.Format.ndjson, .json] {
            guard let batch = try? IngestBatch.parse(input, format: format, schema: fuzzSchema, mayWrite: { _ in true }) else { continue }
            try invariant(batch.count == batch.streams.values.reduce(0) { $0 + $1.count }, "the count is not the records'")
            var lines: [UInt8] = []
            for (stream, records) in batch.streams {
                guard let schema = fuzzSchema(stream) else { throw FuzzInvariantViolation(description: "a record of an unknown stream was accepted") }
                for record in records {
                    try invariant(IngestBatch.timeRange.contains(record.time), "a time out of range was accepted")
                    try invariant(record.values.count == schema.fields.count, "a record has the wrong number of values")
                    for (field, value) in zip(schema.fields, record.values) {
                        guard let value else {
                            try invariant(!field.required, "a required field is missing")
                            continue
                        }
                        if let x = value.number {
                            try invariant(x.isFinite, "a non-finite number was accepted")
                            if let minimum = field.minimum { try invariant(x >= minimum, "a value below its minimum was accepted") }
                            if let maximum = field.maximum { try invariant(x <= maximum, "a value above its maximum was accepted") }
                        }
                    }
                    ExportLine.record(record, stream: stream, schema: schema, into: &lines)
                }
                let block = RecordBlock.encode(records[...], schema: schema)
                try invariant((try? RecordBlock.decode(block, schema: schema)) == records, "a block did not round-trip")
            }
            guard let again = try? IngestBatch.parse(lines, format: .ndjson, schema: fuzzSchema, mayWrite: { _ in true }) else {
                throw FuzzInvariantViolation(description: "accepted records written as export lines did not parse again")
            }
            try invariant(again.streams == batch.streams, "records written as export lines parsed to other records")
        }
        for schema in [StreamSchema.gps, .steps, fuzzMood] { _ = try? RecordBlock.decode(input, schema: schema) }
    }
}
