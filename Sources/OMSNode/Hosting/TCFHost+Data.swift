import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// The personal data store: streams, devices, ingest, and reading records back for the rule
/// engine and the owner's export. Records are sealed a block at a time under the TCC's data
/// key (`RecordSealing`); the key is made on first use and cached while its TCF runs.
extension TCFHost {
    // MARK: Streams

    /// Declares an owner-defined stream. Built-in names keep their fixed schemas.
    public func declareStream(_ tcc: TCCRecord, name: StreamName, schema: StreamSchema) throws -> StreamRecord {
        guard StreamSchema.builtIn(name) == nil else {
            throw HostingError(.duplicate, "\(name) is a built-in stream with a fixed schema; declare another name")
        }
        _ = try key(of: tcc.tcf)
        let record = StreamRecord(tcc: tcc.id, name: name, schema: schema, createdAt: now())
        try store.declareStream(record)
        try audit(tcc, .policyChange, ["action": "stream.declare", "stream": name.rawValue, "fields": String(schema.fields.count)])
        return record
    }

    /// Every stream the TCC can hold: the built-in ones and those declared.
    public func streams(of tcc: TCCRecord) throws -> [StreamName: StreamSchema] {
        var all: [StreamName: StreamSchema] = [.gps: .gps, .steps: .steps, .heartRate: .heartRate]
        for declared in try store.declaredStreams(tcc: tcc.id) { all[declared.name] = declared.schema }
        return all
    }

    public func schema(of stream: StreamName, in tcc: TCCRecord) throws -> StreamSchema {
        guard let schema = try streams(of: tcc)[stream] else {
            throw DataError(.unknownStream, "\(tcc.name) has no stream \(stream) (see 'oms stream list')")
        }
        return schema
    }

    public func streamSummaries(of tcc: TCCRecord) throws -> [StreamSummary] { try store.streamSummaries(tcc: tcc.id) }

    // MARK: Devices

    /// Adds a device that may push the named streams to `tcc`, and returns its token: shown
    /// this once, kept only as a hash.
    public func addDevice(to tcc: TCCRecord, name: Name, streams: [StreamName]) throws -> (device: DeviceRecord, token: String) {
        guard !streams.isEmpty else { throw HostingError(.invalidArgument, "a device writes at least one stream (--streams gps,steps)") }
        let known = try self.streams(of: tcc)
        for stream in streams where known[stream] == nil {
            throw DataError(.unknownStream, "\(tcc.name) has no stream \(stream); declare it first with 'oms stream declare'")
        }
        _ = try key(of: tcc.tcf)
        let token = Self.deviceTokenPrefix + SecureRandom.bytes(32).hex
        let record = DeviceRecord(tcc: tcc.id, name: name, streams: Array(Set(streams)).sorted(), createdAt: now())
        try store.insertDevice(record, tokenHash: Self.tokenHash(token))
        try audit(tcc, .keyUse, ["action": "device.add", "device": name.rawValue, "streams": record.streams.map(\.rawValue).joined(separator: ",")])
        return (record, token)
    }

    public func devices(of tcc: TCCRecord) throws -> [DeviceRecord] { try store.devices(tcc: tcc.id) }

    public func removeDevice(_ name: Name, from tcc: TCCRecord) throws {
        guard try store.removeDevice(tcc: tcc.id, name: name) else {
            throw HostingError(.notFound, "\(tcc.name) has no device \(name) (see 'oms device list')")
        }
        try audit(tcc, .keyUse, ["action": "device.remove", "device": name.rawValue])
    }

    /// Device tokens say what they are, so a leaked one is recognisable in logs and scanners.
    static let deviceTokenPrefix = "omsd_"

    static func tokenHash(_ token: String) -> [UInt8] { BLAKE2b.hash(Array("oms/v1/device-token\u{0}\(token)".utf8), outputLength: 32) }

    /// The device a bearer token belongs to, or nil.
    public func device(token: String) throws -> DeviceRecord? {
        guard token.hasPrefix(Self.deviceTokenPrefix), token.utf8.count == Self.deviceTokenPrefix.utf8.count + 64 else { return nil }
        return try store.device(tokenHash: Self.tokenHash(token))
    }

    // MARK: Ingest

    /// Checks a device's batch whole, seals it, and commits it with its audit entry in one
    /// transaction; the receipt is returned only once that has committed. A batch id the
    /// device used before returns the first receipt and writes nothing.
    public func ingest(_ body: [UInt8], format: IngestBatch.Format, batch batchID: String, from device: DeviceRecord) throws -> IngestReceipt {
        guard (1...128).contains(batchID.utf8.count), batchID.unicodeScalars.allSatisfy({ (0x21...0x7e).contains($0.value) }) else {
            throw HostingError(.invalidArgument, "a batch id is 1 to 128 printable ASCII characters (send it as Idempotency-Key)")
        }
        guard let tcc = try store.tcc(device.tcc) else { throw HostingError(.notFound, "the device's TCC is no longer on this node") }
        let known = try streams(of: tcc)
        let allowed = Set(device.streams)
        let parsed = try IngestBatch.parse(body, format: format, schema: { known[$0] }, mayWrite: { allowed.contains($0) })
        let blocks = try sealBlocks(parsed, schemas: known, of: tcc)
        let detail: [String: String] = [
            "action": "ingest", "device": device.name.rawValue, "batch": batchID, "records": String(parsed.count),
            "streams": parsed.streams.keys.sorted().map(\.rawValue).joined(separator: ","),
        ]
        return try store.insertBatch(
            tcc: tcc.id, device: device.name, batch: batchID, records: parsed.count, blocks: blocks, at: now(),
            audit: (.dataWrite, try Self.json(detail), try rootKey(of: tcc)))
    }

    /// A checked batch's records, a stream at a time, time-sorted into blocks and sealed under
    /// the TCC's data key.
    func sealBlocks(_ batch: IngestBatch, schemas: [StreamName: StreamSchema], of tcc: TCCRecord) throws -> [SealedBlock] {
        let dataKey = try dataKey(of: tcc)
        var blocks: [SealedBlock] = []
        for (stream, records) in batch.streams.sorted(by: { $0.key < $1.key }) {
            guard let schema = schemas[stream] else { throw DataError(.unknownStream, "\(tcc.name) has no stream \(stream)") }
            for chunk in RecordBlock.chunks(of: records) {
                guard let first = chunk.first, let last = chunk.last else { continue }
                blocks.append(
                    RecordSealing.seal(
                        RecordBlock.encode(chunk, schema: schema), tcc: tcc.id, stream: stream, start: first.time, end: last.time,
                        count: chunk.count, under: dataKey))
            }
        }
        return blocks
    }

    // MARK: Reading

    /// The stream's records in `[from, to]` (milliseconds), time-ordered, decrypted (answers
    /// read columns instead: `columns(of:)`).
    public func records(of tcc: TCCRecord, stream: StreamName, from: Int64 = .min, to: Int64 = .max) throws -> [DataRecord] {
        let schema = try schema(of: stream, in: tcc)
        let blocks = try store.blocks(tcc: tcc.id, stream: stream, from: from, to: to)
        guard !blocks.isEmpty else { return [] }
        let dataKey = try dataKey(of: tcc)
        var records: [DataRecord] = []
        records.reserveCapacity(blocks.reduce(0) { $0 + $1.count })
        for block in blocks {
            let decoded = try RecordBlock.decode(try RecordSealing.open(block, tcc: tcc.id, under: dataKey), schema: schema)
            if block.start >= from && block.end <= to {
                records += decoded
            } else {
                records += decoded.lazy.filter { $0.time >= from && $0.time <= to }
            }
        }
        return records
    }

    /// The times and the given numeric columns of a stream's records in `range`, column-wise
    /// (what answers read; `RecordBlock.decodeColumns`).
    public func columns(
        of tcc: TCCRecord, stream: StreamName, range: ClosedRange<Int64>, fields: [Int]
    ) throws -> (times: [Int64], columns: [[Double]]) {
        let schema = try schema(of: stream, in: tcc)
        let blocks = try store.blocks(tcc: tcc.id, stream: stream, from: range.lowerBound, to: range.upperBound)
        var times: [Int64] = []
        var columns = [[Double]](repeating: [], count: fields.count)
        guard !blocks.isEmpty else { return (times, columns) }
        let dataKey = try dataKey(of: tcc)
        let total = blocks.reduce(0) { $0 + $1.count }
        times.reserveCapacity(total)
        for i in columns.indices { columns[i].reserveCapacity(total) }
        for block in blocks {
            let decoded = try RecordBlock.decodeColumns(try RecordSealing.open(block, tcc: tcc.id, under: dataKey), schema: schema, fields: fields)
            if range.contains(block.start) && range.contains(block.end) {
                times += decoded.times
                for i in columns.indices { columns[i] += decoded.columns[i] }
            } else {
                for (row, time) in decoded.times.enumerated() where range.contains(time) {
                    times.append(time)
                    for i in columns.indices { columns[i].append(decoded.columns[i][row]) }
                }
            }
        }
        return (times, columns)
    }

    /// The TCC's data key, made and stored on first use.
    func dataKey(of tcc: TCCRecord) throws -> SecureBytes {
        // The TCF must be running even when the data key is cached.
        let tcfKey = try key(of: tcc.tcf)
        if let key = dataKeys.withLock({ $0[tcc.id] }) { return key }
        let sealed =
            try store.sealedDataKey(tcc: tcc.id)
            ?? store.insertDataKey(tcc: tcc.id, sealed: RecordSealing.sealDataKey(RecordSealing.newDataKey(), tcc: tcc.id, tcf: tcc.tcf, under: tcfKey))
        let key = try RecordSealing.openDataKey(sealed, tcc: tcc.id, tcf: tcc.tcf, under: tcfKey)
        dataKeys.withLock { $0[tcc.id] = key }
        return key
    }
}
