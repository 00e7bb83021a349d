#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A scanner for the JSON that devices send: arrays of flat objects, or one flat object per
/// line. Foundation's JSON parsers cost about 7 µs a record on this kind of machine, most of a
/// 100,000 records/s budget, and build nested values a record never has; this one reads the
/// bytes in place, keeps the line for error messages, and refuses nesting outright.
struct FlatJSONScanner {
    /// A JSON string as read: where its bytes are in the input when it has no escapes (the
    /// common case, compared and turned into a `String` only when needed), or decoded.
    struct Text: Equatable {
        var start: Int
        var end: Int
        var decoded: String?
    }

    /// A value of a flat object.
    enum Scalar: Equatable {
        case string(Text)
        /// The value as a double, and as an integer when written as one (no fraction or
        /// exponent) and in range.
        case number(Double, integer: Int64?)
        case boolean(Bool)
        case null
    }

    struct Failure: Error {
        var message: String
        var field: String?
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    /// 1-based line of `position`. Newlines only occur between tokens (JSON strings cannot hold
    /// a raw one), so counting them while skipping white space is enough.
    private(set) var line = 1

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }
    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    /// Skips white space; with `acrossLines` false, stops at a newline (NDJSON's separator).
    mutating func skipWhitespace(acrossLines: Bool = true) {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): position += 1
            case UInt8(ascii: "\n"):
                guard acrossLines else { return }
                line += 1
                position += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard current == byte else { throw Failure(message: "expected \(what) \(found)") }
        position += 1
    }

    /// Says what is at the current position, for messages.
    var found: String {
        guard let byte = current else { return "but the input ends" }
        if (0x21...0x7e).contains(byte) { return "but found '\(Character(Unicode.Scalar(byte)))'" }
        return "but found byte 0x\(String(byte, radix: 16))"
    }

    /// Reads `{ "key": scalar, ... }` into `fields` (cleared first), refusing nested values,
    /// duplicate keys and more than `maximumFields` keys. Keys stay bytes in the input: a
    /// record's few keys are compared byte for byte, with no `String` made or hashed.
    mutating func readObject(into fields: inout [(key: Text, value: Scalar)], maximumFields: Int) throws(Failure) {
        fields.removeAll(keepingCapacity: true)
        try expect(UInt8(ascii: "{"), "'{' to start a record")
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw Failure(message: "expected a field name in quotes \(found)") }
            let key = try readText(limit: 64)
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after field '\(name(key))'")
            skipWhitespace()
            let value: Scalar
            do throws(Failure) {
                value = try readScalar()
            } catch {
                throw Failure(message: error.message, field: name(key))
            }
            guard !fields.contains(where: { equal($0.key, key) }) else {
                throw Failure(message: "the field appears twice", field: name(key))
            }
            guard fields.count < maximumFields else { throw Failure(message: "a record has at most \(maximumFields) fields") }
            fields.append((key, value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return
            default: throw Failure(message: "expected ',' or '}' after field '\(name(key))' \(found)")
            }
        }
    }

    /// Whether `text` is exactly `bytes`.
    func equal(_ text: Text, _ bytes: [UInt8]) -> Bool {
        if let decoded = text.decoded { return decoded.utf8.elementsEqual(bytes) }
        guard text.end - text.start == bytes.count else { return false }
        return bytes.withUnsafeBytes { b in memcmp(self.bytes.baseAddress! + text.start, b.baseAddress!, bytes.count) == 0 }
    }

    func equal(_ a: Text, _ b: Text) -> Bool {
        if a.decoded == nil, b.decoded == nil {
            return a.end - a.start == b.end - b.start && memcmp(bytes.baseAddress! + a.start, bytes.baseAddress! + b.start, a.end - a.start) == 0
        }
        return string(a) == string(b)
    }

    /// The text as a `String`, or nil when its bytes are not UTF-8.
    func string(_ text: Text) -> String? {
        if let decoded = text.decoded { return decoded }
        return String(validating: UnsafeBufferPointer(rebasing: bytes[text.start..<text.end]), as: UTF8.self)
    }

    /// The text for messages, printable whatever its bytes.
    func name(_ text: Text) -> String {
        if let decoded = text.decoded { return decoded.printable(limit: 64) }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[text.start..<text.end]), as: UTF8.self).printable(limit: 64)
    }

    mutating func readScalar() throws(Failure) -> Scalar {
        switch current ?? 0 {
        case UInt8(ascii: "\""): return .string(try readText(limit: 4096))
        case UInt8(ascii: "t"): try literal("true"); return .boolean(true)
        case UInt8(ascii: "f"): try literal("false"); return .boolean(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "{"), UInt8(ascii: "["): throw Failure(message: "records are flat: a field holds a number, text, true, false or null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw Failure(message: "expected a value \(found)")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count,
            (0..<count).allSatisfy({ bytes[position + $0] == word.utf8Start[$0] })
        else { throw Failure(message: "expected a value \(found)") }
        position += count
    }

    /// A JSON number (RFC 8259's grammar, checked), as a double and, when written as an
    /// integer of at most 18 digits, exactly as an integer.
    private mutating func readNumber() throws(Failure) -> Scalar {
        let start = position
        var integral = true
        if current == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        guard let first = current, isDigit(first) else { throw Failure(message: "a number needs digits") }
        if first == UInt8(ascii: "0") {
            position += 1
        } else {
            while let c = current, isDigit(c) { position += 1 }
        }
        let digitCount = position - digitsStart
        if current == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard let c = current, isDigit(c) else { throw Failure(message: "a number needs digits after '.'") }
            while let c = current, isDigit(c) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard let c = current, isDigit(c) else { throw Failure(message: "a number needs digits in its exponent") }
            while let c = current, isDigit(c) { position += 1 }
        }
        let length = position - start
        guard length <= 64 else { throw Failure(message: "a number is written in at most 64 characters") }
        if integral && digitCount <= 18 {
            var n: Int64 = 0
            for i in digitsStart..<position { n = n * 10 + Int64(bytes[i] - UInt8(ascii: "0")) }
            if bytes[start] == UInt8(ascii: "-") { n = -n }
            return .number(Double(n), integer: n)
        }
        // strtod needs a terminated copy; 65 bytes on the stack.
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double in
            for i in 0..<length { buffer[i] = CChar(bitPattern: bytes[start + i]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
        guard value.isFinite else { throw Failure(message: "the number is too large for a double") }
        return .number(value, integer: nil)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// A JSON string of at most `limit` bytes once decoded: escapes resolved, UTF-8 checked,
    /// raw control characters refused (as RFC 8259 requires).
    mutating func readText(limit: Int) throws(Failure) -> Text {
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = position
        // The common case: no escapes, so the bytes are the string.
        while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\"),
            bytes[position] >= 0x20
        {
            position += 1
        }
        if current == UInt8(ascii: "\"") {
            guard position - start <= limit else { throw Failure(message: "text longer than \(limit) bytes") }
            position += 1
            // UTF-8 is checked when the text is made a `String`; compared as bytes, it needs none.
            return Text(start: start, end: position - 1, decoded: nil)
        }
        var decoded = Array(bytes[start..<position])
        while true {
            guard let c = current else { throw Failure(message: "text is not closed with '\"'") }
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let text = String(validating: decoded, as: UTF8.self) else { throw Failure(message: "text is not valid UTF-8") }
                return Text(start: start, end: position - 1, decoded: text)
            case UInt8(ascii: "\\"):
                guard let e = current else { throw Failure(message: "text is not closed with '\"'") }
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(e)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0c)
                case UInt8(ascii: "n"): decoded.append(0x0a)
                case UInt8(ascii: "r"): decoded.append(0x0d)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xd800..<0xdc00).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                            throw Failure(message: "a lone surrogate in text")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xdc00..<0xe000).contains(low) else { throw Failure(message: "a lone surrogate in text") }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Failure(message: "a lone surrogate in text") }
                    decoded.append(contentsOf: String(Character(unicode)).utf8)
                default: throw Failure(message: "an unknown escape in text")
                }
            case 0..<0x20: throw Failure(message: "a raw control character in text (escape it)")
            default: decoded.append(c)
            }
            guard decoded.count <= limit else { throw Failure(message: "text longer than \(limit) bytes") }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - position >= 4 else { throw Failure(message: "a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw Failure(message: "a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
