import OMSProtocol

// Section 13's `tag u8 || value`: written and read here for answers and community reports
// (section 15) alike, so that one value has one encoding everywhere.

extension [UInt8] {
    /// Section 13's `tag u8 || value`, shared by answers and community reports.
    mutating func appendAnswerValue(_ value: AnswerValue) {
        switch value {
        case .number(let x):
            append(Answer.Tag.number.rawValue)
            appendDouble(x)
        case .counts(let xs):
            append(Answer.Tag.counts.rawValue)
            appendBigEndian(UInt16(xs.count))
            for x in xs { appendDouble(x) }
        case .numbers(let xs):
            append(Answer.Tag.numbers.rawValue)
            appendBigEndian(UInt16(xs.count))
            for x in xs { appendDouble(x) }
        case .yesNo(let yes):
            append(Answer.Tag.yesNo.rawValue)
            append(yes ? 1 : 0)
        case .area(let latitude, let longitude, let precision):
            append(Answer.Tag.area.rawValue)
            appendDouble(latitude)
            appendDouble(longitude)
            appendDouble(precision)
        case .records(let records):
            append(Answer.Tag.records.rawValue)
            appendBigEndian(UInt32(records.count))
            self += records
        }
    }
}

extension ByteReader {
    /// Reads section 13's `tag u8 || value`, bounded before it allocates.
    mutating func readAnswerValue() throws(ExchangeError) -> AnswerValue {
        guard let rawTag = readByte() else { throw ExchangeError(.malformed, "truncated before the value tag") }
        guard let tag = Answer.Tag(rawValue: rawTag) else {
            throw ExchangeError(.malformed, "value tag \(rawTag); this node reads tags 1 to 6")
        }
        let value: AnswerValue
        switch tag {
        case .number:
            value = .number(try readDouble("number", allowingNaN: true))
        case .counts:
            value = .counts(try readDoubles("counts", maximum: Answer.maximumValues, allowingNaN: false))
        case .numbers:
            value = .numbers(try readDoubles("numbers", maximum: Answer.maximumValues, allowingNaN: true))
        case .yesNo:
            guard let byte = readByte() else { throw ExchangeError(.malformed, "truncated in the yes/no value") }
            guard byte <= 1 else { throw ExchangeError(.malformed, "a yes/no value is 0 or 1, not \(byte)") }
            value = .yesNo(byte == 1)
        case .area:
            let latitude = try readDouble("latitude")
            let longitude = try readDouble("longitude")
            value = .area(latitude: latitude, longitude: longitude, precision: try readDouble("precision"))
        case .records:
            guard let length = readUInt32() else { throw ExchangeError(.malformed, "truncated in the records' length") }
            // Checked before anything is copied: the length is the sender's word.
            guard length <= Answer.maximumRecordsBytes else {
                throw ExchangeError(.malformed, "\(length) bytes of records; an answer carries at most \(Answer.maximumRecordsBytes)")
            }
            guard let records = readArray(Int(length)) else { throw ExchangeError(.malformed, "truncated in the records") }
            value = .records(records)
        }
        return value
    }
}
