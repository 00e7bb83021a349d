import OMSProtocol

/// The readers the exchange's layouts share (protocol-spec/README.md section 13): each checks a
/// length against the bytes present before it takes them, and refuses with `malformed` saying
/// which field broke.
extension ByteReader {
    mutating func requireExchangeVersion(_ version: UInt8, of object: String) throws(ExchangeError) {
        guard let found = readByte() else { throw ExchangeError(.malformed, "an empty \(object)") }
        guard found == version else {
            throw ExchangeError(.malformed, "\(object) version \(found); this node reads version \(version)")
        }
    }

    func requireExchangeEnd(of object: String) throws(ExchangeError) {
        guard remaining == 0 else { throw ExchangeError(.malformed, "\(remaining) trailing bytes after the \(object)") }
    }

    /// A `u8` length and that many bytes.
    mutating func readShortField(_ field: String) throws(ExchangeError) -> ArraySlice<UInt8> {
        guard let length = readByte(), let bytes = read(Int(length)) else {
            throw ExchangeError(.malformed, "truncated in the \(field)")
        }
        return bytes
    }

    /// A `u8` length and a printed id (section 8's id text).
    mutating func readParty(_ field: String) throws(ExchangeError) -> PartyID {
        let bytes = try readShortField(field)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ExchangeError(.malformed, "the \(field) is not text")
        }
        do {
            return try PartyID(parsing: text)
        } catch {
            throw ExchangeError(.malformed, "the \(field): \(error.context)")
        }
    }

    /// A `u8` length and checked ASCII text (a module, stream, rule id or refusal code).
    mutating func readName<Name: CheckedText>(_ type: Name.Type, _ field: String) throws(ExchangeError) -> Name
    where Name.CheckError == ExchangeError {
        let bytes = try readShortField(field)
        // Names are ASCII: say so here rather than report a replacement character below.
        guard bytes.allSatisfy({ $0 < 0x80 }) else { throw ExchangeError(.malformed, "the \(field) is not ASCII") }
        return try Name(String(decoding: bytes, as: UTF8.self))
    }

    /// `count` bytes of free text: UTF-8 without control characters.
    mutating func readFreeText(_ count: Int, _ field: String, maximum: Int) throws(ExchangeError) -> String {
        guard count <= maximum else { throw ExchangeError(.malformed, "the \(field) is \(count) bytes; at most \(maximum)") }
        guard let bytes = read(count) else { throw ExchangeError(.malformed, "truncated in the \(field)") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ExchangeError(.malformed, "the \(field) is not UTF-8")
        }
        try requireFreeText(text, field, maximum: maximum)
        return text
    }

    mutating func readUInt64(_ field: String) throws(ExchangeError) -> UInt64 {
        guard let value = readUInt64() else { throw ExchangeError(.malformed, "truncated in the \(field)") }
        return value
    }

    /// A flag byte: 0 (absent) or 1 (present); anything else would give one meaning two spellings.
    mutating func readFlag(_ field: String) throws(ExchangeError) -> Bool {
        guard let flag = readByte() else { throw ExchangeError(.malformed, "truncated before the \(field) flag") }
        guard flag <= 1 else { throw ExchangeError(.malformed, "the \(field) flag is \(flag), not 0 or 1") }
        return flag == 1
    }

    /// An IEEE 754 binary64, big-endian. Finite unless `allowingNaN`, and then NaN only in its
    /// one canonical spelling, so every value has exactly one encoding.
    mutating func readDouble(_ field: String, allowingNaN: Bool = false) throws(ExchangeError) -> Double {
        guard let bits = readUInt64() else { throw ExchangeError(.malformed, "truncated in the \(field)") }
        let value = Double(bitPattern: bits)
        if value.isNaN {
            guard allowingNaN, bits == Double.canonicalNaNBits else {
                throw ExchangeError(
                    .malformed, allowingNaN ? "the \(field) is a NaN other than 0x7ff8000000000000" : "the \(field) is NaN")
            }
        } else if !value.isFinite {
            throw ExchangeError(.malformed, "the \(field) is infinite")
        }
        return value
    }

    /// A `u16` count (at most `maximum`) and that many numbers.
    mutating func readDoubles(_ field: String, maximum: Int, allowingNaN: Bool) throws(ExchangeError) -> [Double] {
        guard let count = readUInt16() else { throw ExchangeError(.malformed, "truncated before the \(field) count") }
        guard count <= maximum else { throw ExchangeError(.malformed, "\(count) \(field); at most \(maximum)") }
        guard Int(count) * 8 <= remaining else { throw ExchangeError(.malformed, "\(count) \(field) run past the payload") }
        var values: [Double] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count { values.append(try readDouble(field, allowingNaN: allowingNaN)) }
        return values
    }

    /// A `u8` count (at most 16) of rule ids, each a `u8` length and its bytes.
    mutating func readRules() throws(ExchangeError) -> [RuleID] {
        guard let count = readByte() else { throw ExchangeError(.malformed, "truncated before the rule count") }
        guard count <= ExchangeLimits.maximumRules else {
            throw ExchangeError(.malformed, "\(count) rules; at most \(ExchangeLimits.maximumRules)")
        }
        var rules: [RuleID] = []
        for _ in 0..<count { rules.append(try readName(RuleID.self, "rule id")) }
        return rules
    }
}

/// Limits shared by answers and refusals.
enum ExchangeLimits {
    /// An answer or refusal names at most this many rules.
    static let maximumRules: UInt8 = 16
    /// The largest rule list: a count and 16 rule ids of 64 bytes with their lengths.
    static let maximumRulesLength = 1 + Int(maximumRules) * (1 + RuleID.maximumLength)
    /// Id text is at most this many bytes (section 8), which bounds the payloads.
    static let maximumIDText = 100
    /// How far two honest clocks may differ, in milliseconds (section 8's 300 s).
    static let skew: UInt64 = 300_000
}

extension Double {
    /// The one NaN the exchange writes: quiet, positive, no payload. x86 computes 0/0 as a
    /// negative NaN, so encoders normalise every NaN to this.
    static let canonicalNaNBits: UInt64 = 0x7FF8_0000_0000_0000
}

extension Array where Element == UInt8 {
    /// A binary64, big-endian, every NaN written canonically.
    mutating func appendDouble(_ value: Double) {
        appendBigEndian(value.isNaN ? Double.canonicalNaNBits : value.bitPattern)
    }

    mutating func appendRules(_ rules: [RuleID]) {
        append(UInt8(rules.count))
        for rule in rules { appendShortText(rule.rawValue) }
    }
}

/// Checks a rule list before it is signed: the layout holds at most 16.
func requireRules(_ rules: [RuleID]) throws(ExchangeError) {
    guard rules.count <= Int(ExchangeLimits.maximumRules) else {
        throw ExchangeError(.malformed, "\(rules.count) rules; an answer or refusal names at most \(ExchangeLimits.maximumRules)")
    }
}
