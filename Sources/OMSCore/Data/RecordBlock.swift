import OMSProtocol

/// Records of one stream stored together: up to `maximumRecords` of them, sorted by time,
/// encoded column by column and sealed as one ciphertext. Sealing blocks rather than rows
/// keeps the index to what queries need (stream, first and last time) and lets a mean over a
/// million records decrypt a few hundred blocks instead of a million rows.
///
/// Plaintext layout (big-endian): `count u32 || time i64 × count || per field in schema
/// order: presence bitmap (⌈count/8⌉ bytes, bit i of byte i/8, least significant first) ||
/// the present values` where a number is f64, an integer i64, a boolean u8 0/1 and text
/// `u16 length || UTF-8`.
public enum RecordBlock {
    public static let maximumRecords = 4096

    /// Splits sorted records into blocks' worth.
    public static func chunks(of records: [DataRecord]) -> [ArraySlice<DataRecord>] {
        // Devices send in time order; sorting is for the ones that do not.
        let inOrder = zip(records, records.dropFirst()).allSatisfy { $0.time <= $1.time }
        let sorted = inOrder ? records : records.sorted { $0.time < $1.time }
        return stride(from: 0, to: sorted.count, by: maximumRecords).map { sorted[$0..<min($0 + maximumRecords, sorted.count)] }
    }

    public static func encode(_ records: ArraySlice<DataRecord>, schema: StreamSchema) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 + records.count * (8 + 9 * schema.fields.count))
        Self.append(UInt32(records.count), to: &out)
        for record in records { Self.append(UInt64(bitPattern: record.time), to: &out) }
        let bitmapLength = (records.count + 7) / 8
        for (index, field) in schema.fields.enumerated() {
            let bitmapStart = out.count
            out.append(contentsOf: repeatElement(0, count: bitmapLength))
            for (i, record) in records.enumerated() {
                guard let value = record.values[index] else { continue }
                out[bitmapStart + i / 8] |= 1 << (i % 8)
                switch (field.type, value) {
                case (.number, .number(let x)): Self.append(x.bitPattern, to: &out)
                case (.integer, .integer(let n)): Self.append(UInt64(bitPattern: n), to: &out)
                case (.boolean, .boolean(let b)): out.append(b ? 1 : 0)
                case (.text, .text(let text)):
                    Self.append(UInt16(text.utf8.count), to: &out)
                    out.append(contentsOf: text.utf8)
                default: preconditionFailure("a record that does not match its schema reached the encoder")
                }
            }
        }
        return out
    }

    /// Big-endian, a word at a time (the block encoder's hot loop).
    @inline(__always)
    static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Decodes a block's plaintext; `fields` limits decoding to the fields a query needs (the
    /// others come back nil), so a mean over one field does not build every value. Every
    /// length is checked against the bytes left before it is used.
    public static func decode(_ bytes: [UInt8], schema: StreamSchema, fields wanted: Set<Int>? = nil) throws(DataError) -> [DataRecord] {
        let decoded: [DataRecord]? = bytes.withUnsafeBytes { raw in
            var reader = BlockReader(raw: raw)
            guard let count32 = reader.uint32(), Int(count32) <= maximumRecords, Int(count32) * 8 <= reader.remaining else { return nil }
            let count = Int(count32)
            var records = [DataRecord]()
            records.reserveCapacity(count)
            for _ in 0..<count {
                records.append(DataRecord(time: Int64(bitPattern: reader.uint64()!), values: .init(repeating: nil, count: schema.fields.count)))
            }
            let bitmapLength = (count + 7) / 8
            for (index, field) in schema.fields.enumerated() {
                guard let bitmapStart = reader.skip(bitmapLength) else { return nil }
                let keep = wanted?.contains(index) ?? true
                for i in 0..<count where raw[bitmapStart + i / 8] & (1 << (i % 8)) != 0 {
                    let value: FieldValue
                    switch field.type {
                    case .number:
                        guard let bits = reader.uint64() else { return nil }
                        value = .number(Double(bitPattern: bits))
                    case .integer:
                        guard let bits = reader.uint64() else { return nil }
                        value = .integer(Int64(bitPattern: bits))
                    case .boolean:
                        guard let start = reader.skip(1) else { return nil }
                        value = .boolean(raw[start] != 0)
                    case .text:
                        guard let length = reader.uint16(), let start = reader.skip(Int(length)) else { return nil }
                        value = .text(String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<start + Int(length)]), as: UTF8.self))
                    }
                    if keep { records[i].values[index] = value }
                }
            }
            return reader.remaining == 0 ? records : nil
        }
        guard let decoded else { throw DataError(.malformed, "a record block does not decode (a length runs past its end)") }
        return decoded
    }
}

extension RecordBlock {
    /// The times and some numeric columns of a block, without building a record per row: what
    /// an answer over a million records needs is two arrays, not a million small ones. The
    /// columns must be required numbers or integers (every row has them), as a stream's value
    /// field and a GPS stream's lat and lon are.
    public static func decodeColumns(_ bytes: [UInt8], schema: StreamSchema, fields wanted: [Int]) throws(DataError) -> (times: [Int64], columns: [[Double]]) {
        for index in wanted {
            guard schema.fields.indices.contains(index), schema.fields[index].required,
                schema.fields[index].type == .number || schema.fields[index].type == .integer
            else { throw DataError(.malformed, "column \(index) is not a required number") }
        }
        let decoded: (times: [Int64], columns: [[Double]])? = bytes.withUnsafeBytes { raw in
            var reader = BlockReader(raw: raw)
            guard let count32 = reader.uint32(), Int(count32) <= maximumRecords, Int(count32) * 8 <= reader.remaining else { return nil }
            let count = Int(count32)
            var times = [Int64]()
            times.reserveCapacity(count)
            for _ in 0..<count { times.append(Int64(bitPattern: reader.uint64()!)) }
            var columns = [[Double]](repeating: [], count: wanted.count)
            let bitmapLength = (count + 7) / 8
            for (index, field) in schema.fields.enumerated() {
                guard let bitmapStart = reader.skip(bitmapLength) else { return nil }
                let slot = wanted.firstIndex(of: index)
                if let slot { columns[slot].reserveCapacity(count) }
                for i in 0..<count where raw[bitmapStart + i / 8] & (1 << (i % 8)) != 0 {
                    switch field.type {
                    case .number:
                        guard let bits = reader.uint64() else { return nil }
                        if let slot { columns[slot].append(Double(bitPattern: bits)) }
                    case .integer:
                        guard let bits = reader.uint64() else { return nil }
                        if let slot { columns[slot].append(Double(Int64(bitPattern: bits))) }
                    case .boolean:
                        guard reader.skip(1) != nil else { return nil }
                    case .text:
                        guard let length = reader.uint16(), reader.skip(Int(length)) != nil else { return nil }
                    }
                }
                if let slot, columns[slot].count != count { return nil }
            }
            return reader.remaining == 0 ? (times, columns) : nil
        }
        guard let decoded else { throw DataError(.malformed, "a record block does not decode (a length runs past its end)") }
        return decoded
    }
}

/// Reads big-endian integers from a block, returning nil past the end.
private struct BlockReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0

    var remaining: Int { raw.count - offset }

    /// Moves past `count` bytes and returns where they start.
    mutating func skip(_ count: Int) -> Int? {
        guard count <= remaining else { return nil }
        defer { offset += count }
        return offset
    }

    mutating func uint16() -> UInt16? { skip(2).map { UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt16.self)) } }
    mutating func uint32() -> UInt32? { skip(4).map { UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt32.self)) } }
    mutating func uint64() -> UInt64? { skip(8).map { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt64.self)) } }
}
