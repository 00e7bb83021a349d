import Foundation
import OMSCore
import Testing

/// Device batches as devices send them: parsed whole into per-stream records, or refused whole
/// with the line, record and field at fault.
struct IngestBatchTests {
    static let mood = try! StreamSchema(
        fields: [
            .init(name: "score", type: .integer, minimum: 0, maximum: 10),
            .init(name: "note", type: .text, required: false, maximum: 20),
            .init(name: "shared", type: .boolean, required: false),
        ], value: "score")

    static func schema(_ name: StreamName) -> StreamSchema? {
        StreamSchema.builtIn(name) ?? (name.rawValue == "mood" ? mood : nil)
    }

    func parse(_ text: String, _ format: IngestBatch.Format = .ndjson, mayWrite: @escaping (StreamName) -> Bool = { _ in true }) throws(BatchRefusal) -> IngestBatch {
        try IngestBatch.parse(Array(text.utf8), format: format, schema: Self.schema, mayWrite: mayWrite)
    }

    func refusal(_ text: String, _ format: IngestBatch.Format = .ndjson, mayWrite: @escaping (StreamName) -> Bool = { _ in true }) -> BatchRefusal? {
        do {
            _ = try parse(text, format, mayWrite: mayWrite)
            Issue.record("expected a refusal of \(text)")
            return nil
        } catch {
            return error
        }
    }

    @Test func ndjsonAndJSONGiveTheSameRecords() throws {
        let lines = [
            #"{"stream":"gps","time":1764150000000,"lat":52.52,"lon":13.405,"accuracy":5}"#,
            #"{"time":"2026-11-26T10:00:01Z","stream":"steps","count":120}"#,
            #"{"stream":"heart_rate","time":1764150002000,"bpm":71.5}"#,
            #"{"stream":"mood","time":1764150003000,"score":7,"note":"caf\u00e9 \"ok\"","shared":true}"#,
            #"{"stream":"gps","time":1764150004000,"lat":-33.9,"lon":151.2,"altitude":null}"#,
        ]
        let ndjson = try parse(lines.joined(separator: "\n") + "\n\n")
        let json = try parse(" [\n" + lines.joined(separator: ",\n") + "\n] ", .json)
        #expect(ndjson.count == 5 && json.count == 5)
        #expect(ndjson.streams == json.streams)
        #expect(ndjson.streams[.gps]?.map(\.values) == [[.number(52.52), .number(13.405), .number(5), nil], [.number(-33.9), .number(151.2), nil, nil]])
        #expect(ndjson.streams[.steps] == [DataRecord(time: 1_795_687_201_000, values: [.integer(120)])])
        #expect(ndjson.streams[.heartRate]?.first?.values == [.number(71.5)])
        #expect(ndjson.streams[try StreamName("mood")]?.first?.values == [.integer(7), .text("café \"ok\""), .boolean(true)])
    }

    @Test func anEmptyBatchIsEmpty() throws {
        #expect(try parse("").count == 0)
        #expect(try parse("[]", .json).count == 0)
    }

    @Test(arguments: [
        // (body, line, record, field, code)
        ("{\"stream\":\"gps\",\"time\":1,\"lat\":1,\"lon\":2}\n{\"stream\":\"gps\",\"time\":2,\"lat\":91,\"lon\":2}", 2, 2, "lat", "invalidField"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":1.5}", 1, 1, "count", "invalidField"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":-1}", 1, 1, "count", "invalidField"),
        ("{\"stream\":\"steps\",\"time\":1}", 1, 1, "count", "invalidField"),
        ("{\"stream\":\"steps\",\"count\":1}", 1, 1, "time", "invalidField"),
        ("{\"stream\":\"steps\",\"time\":-5,\"count\":1}", 1, 1, "time", "invalidField"),
        ("{\"stream\":\"steps\",\"time\":\"yesterday\",\"count\":1}", 1, 1, "time", "invalidField"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":1,\"extra\":2}", 1, 1, "extra", "invalidField"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":1,\"count\":2}", 1, 1, "count", "malformed"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":{\"a\":1}}", 1, 1, "count", "malformed"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":[1]}", 1, 1, "count", "malformed"),
        ("{\"stream\":\"sleep\",\"time\":1,\"hours\":8}", 1, 1, "stream", "unknownStream"),
        ("{\"stream\":\"BAD NAME\",\"time\":1}", 1, 1, "stream", "unknownStream"),
        ("{\"time\":1,\"count\":1}", 1, 1, "stream", "invalidField"),
        ("{\"stream\":7,\"time\":1,\"count\":1}", 1, 1, "stream", "invalidField"),
        ("{\"stream\":\"mood\",\"time\":1,\"score\":5,\"note\":\"far too long for twenty bytes\"}", 1, 1, "note", "invalidField"),
        ("{\"stream\":\"mood\",\"time\":1,\"score\":5,\"shared\":\"yes\"}", 1, 1, "shared", "invalidField"),
        ("{\"stream\":\"mood\",\"time\":1,\"score\":5,\"note\":\"\\ud800\"}", 1, 1, "note", "malformed"),
        ("{\"stream\":\"mood\",\"time\":1,\"score\":5,\"note\":\"tab\there\"}", 1, 1, "note", "malformed"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":1e999}", 1, 1, "count", "malformed"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":01}", 1, 1, nil, "malformed"),
        ("\n\n{\"stream\":\"steps\",\"time\":1,\"count\":1} {\"stream\":\"steps\",\"time\":2,\"count\":1}", 3, 2, nil, "malformed"),
        ("{\"stream\":\"steps\",\"time\":1,\"count\":1", 1, 1, nil, "malformed"),
        ("nonsense", 1, 1, nil, "malformed"),
    ] as [(String, Int, Int, String?, String)])
    func aBadRecordRefusesTheBatchAndSaysWhere(_ body: String, _ line: Int, _ record: Int, _ field: String?, _ code: String) {
        guard let refusal = refusal(body) else { return }
        #expect(refusal.line == line && refusal.record == record, "\(refusal)")
        #expect(refusal.field == field, "\(refusal)")
        #expect(refusal.error.code.name == code, "\(refusal)")
    }

    @Test func jsonArraysAreCheckedToTheirEnd() {
        #expect(refusal("[{\"stream\":\"steps\",\"time\":1,\"count\":1}", .json)?.error.code == .malformed)
        #expect(refusal("[{\"stream\":\"steps\",\"time\":1,\"count\":1}] trailing", .json)?.error.code == .malformed)
        #expect(refusal("{\"stream\":\"steps\",\"time\":1,\"count\":1}", .json)?.error.code == .malformed)
        let second = refusal("[\n{\"stream\":\"steps\",\"time\":1,\"count\":1},\n{\"stream\":\"steps\",\"time\":1,\"count\":-4}\n]", .json)
        #expect(second?.line == 3 && second?.record == 2 && second?.field == "count")
    }

    @Test func aDeviceWritesOnlyItsStreams() {
        let refused = refusal(
            "{\"stream\":\"steps\",\"time\":1,\"count\":1}\n{\"stream\":\"gps\",\"time\":1,\"lat\":1,\"lon\":1}", mayWrite: { $0 == .steps })
        #expect(refused?.error.code == .notAllowed && refused?.line == 2 && refused?.field == "stream")
    }

    @Test func tooManyRecordsAreRefusedBeforeTheRestIsRead() {
        let line = "{\"stream\":\"steps\",\"time\":1,\"count\":1}\n"
        let refused = refusal(String(repeating: line, count: IngestBatch.maximumRecords + 1))
        #expect(refused?.error.code == .tooLarge && refused?.record == IngestBatch.maximumRecords + 1)
    }

    @Test func aSchemaIsChecked() {
        #expect(throws: DataError.self) { try StreamSchema(fields: [], value: nil) }
        #expect(throws: DataError.self) { try StreamSchema(fields: [.init(name: "time", type: .number)], value: nil) }
        #expect(throws: DataError.self) { try StreamSchema(fields: [.init(name: "a", type: .number), .init(name: "a", type: .text)], value: nil) }
        #expect(throws: DataError.self) { try StreamSchema(fields: [.init(name: "a", type: .number, minimum: 2, maximum: 1)], value: nil) }
        // The value field bounds each record's weight in a noisy answer, so it needs both bounds.
        #expect(throws: DataError.self) { try StreamSchema(fields: [.init(name: "a", type: .number, minimum: 0)], value: "a") }
        #expect(throws: DataError.self) { try StreamSchema(fields: [.init(name: "a", type: .text)], value: "a") }
        #expect(throws: DataError.self) {
            try JSONDecoder().decode(StreamSchema.self, from: Data(#"{"fields":[{"name":"A","type":"number","required":true}]}"#.utf8))
        }
    }

    @Test func blocksRoundTripEveryFieldType() throws {
        let records = [
            DataRecord(time: 30, values: [.integer(3), nil, .boolean(false)]),
            DataRecord(time: 10, values: [.integer(1), .text("één"), .boolean(true)]),
            DataRecord(time: 20, values: [.integer(2), .text(""), nil]),
        ]
        let chunks = RecordBlock.chunks(of: records)
        #expect(chunks.count == 1 && chunks[0].map(\.time) == [10, 20, 30])
        let bytes = RecordBlock.encode(chunks[0], schema: Self.mood)
        #expect(try RecordBlock.decode(bytes, schema: Self.mood) == Array(chunks[0]))
        // Decoding only the value field leaves the others out.
        #expect(try RecordBlock.decode(bytes, schema: Self.mood, fields: [0]).map(\.values) == [[.integer(1), nil, nil], [.integer(2), nil, nil], [.integer(3), nil, nil]])
        // Every truncation and any trailing byte is refused, never trapped on.
        for cut in 0..<bytes.count {
            #expect(throws: DataError.self) { try RecordBlock.decode(Array(bytes[..<cut]), schema: Self.mood) }
        }
        #expect(throws: DataError.self) { try RecordBlock.decode(bytes + [0], schema: Self.mood) }
        var huge = bytes
        huge.replaceSubrange(0..<4, with: [0xff, 0xff, 0xff, 0xff])
        #expect(throws: DataError.self) { try RecordBlock.decode(huge, schema: Self.mood) }
    }

    @Test func largeStreamsAreSplitIntoBlocks() {
        let records = (0..<(RecordBlock.maximumRecords * 2 + 5)).reversed().map { DataRecord(time: Int64($0), values: [.integer(1)]) }
        let chunks = RecordBlock.chunks(of: records)
        #expect(chunks.map(\.count) == [RecordBlock.maximumRecords, RecordBlock.maximumRecords, 5])
        #expect(chunks.flatMap { $0.map(\.time) } == (0..<Int64(records.count)).map { $0 })
    }

    @Test func columnsDecodeAsTheRecordsDo() throws {
        let records: [DataRecord] = (0..<20).map { (i: Int) -> DataRecord in
            let note: FieldValue? = i % 3 == 0 ? .text("n\(i)") : nil
            return DataRecord(time: Int64(i * 10), values: [.integer(Int64(i % 11)), note, nil])
        }
        let bytes = RecordBlock.encode(records[...], schema: Self.mood)
        let (times, columns) = try RecordBlock.decodeColumns(bytes, schema: Self.mood, fields: [0])
        #expect(times == records.map { $0.time })
        #expect(columns == [records.map { Double($0.time / 10 % 11) }])
        // Only required numeric columns can be read this way; the rest is refused, not guessed.
        #expect(throws: DataError.self) { _ = try RecordBlock.decodeColumns(bytes, schema: Self.mood, fields: [1]) }
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: DataError.self) { _ = try RecordBlock.decodeColumns(Array(bytes[..<cut]), schema: Self.mood, fields: [0]) }
        }
    }
}
