import Foundation

/// The owner's export (`oms data export`): JSON lines, one object a line, documented in
/// protocol-spec §12. Records are written exactly as devices send them (`{"stream": ..., "time":
/// ..., fields}`), so an export is also a valid ingest body for its records; every other line
/// starts with `{"kind":`, which no record line does. The first line is the header and the last
/// the trailer, whose counts let an importer notice a cut file.
public enum ExportLine {
    public static let format = "oms-export"
    public static let version = 1

    /// One record as an ingest line. Numbers keep their shortest round-trip form.
    public static func record(_ record: DataRecord, stream: StreamName, schema: StreamSchema, into out: inout [UInt8]) {
        out += #"{"stream":""#.utf8
        out += stream.rawValue.utf8
        out += #"","time":"#.utf8
        out += String(record.time).utf8
        for (field, value) in zip(schema.fields, record.values) {
            guard let value else { continue }
            out += #",""#.utf8
            out += field.name.utf8
            out += #"":"#.utf8
            switch value {
            case .number(let x): out += "\(x)".utf8
            case .integer(let n): out += String(n).utf8
            case .boolean(let b): out += (b ? "true" : "false").utf8
            case .text(let text): appendJSONString(text, to: &out)
            }
        }
        out += "}\n".utf8
    }

    /// A JSON string literal, escaping what RFC 8259 requires.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case 0x0a: out += #"\n"#.utf8
            case 0x0d: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0..<0x20:
                out += #"\u00"#.utf8
                out += String(byte, radix: 16).count == 1 ? "0\(String(byte, radix: 16))".utf8 : String(byte, radix: 16).utf8
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether a line is a record (anything not starting with `{"kind":`).
    public static func isRecord(_ line: ArraySlice<UInt8>) -> Bool {
        !line.starts(with: #"{"kind":"#.utf8)
    }

    /// The lines that are not records.
    public struct Meta: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable {
            case header = "oms-export"
            case stream
            case policy
            case claim
            case audit
            case end
        }

        public var kind: Kind
        // header
        public var version: Int?
        public var tcc: String?
        public var name: String?
        public var exportedAt: Date?
        // stream
        public var schema: StreamSchema?
        // policy
        public var policyVersion: Int?
        public var setAt: Date?
        public var yaml: String?
        /// On the version of a policy that is in force at export time.
        public var inForce: Bool?
        // claim
        public var role: String?
        public var envelope: Data?
        // audit (the old TCC's log, for the owner's records: its hashes verify it)
        public var sequence: UInt64?
        public var time: UInt64?
        public var auditKind: String?
        public var detail: String?
        public var hash: String?
        // end
        public var records: Int?
        public var lines: Int?

        public init(kind: Kind) { self.kind = kind }

        /// `kind` first, so a line's first bytes say what it is, then the other keys sorted.
        public func encoded() throws -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.dataEncodingStrategy = .base64
            guard var fields = try JSONSerialization.jsonObject(with: try encoder.encode(self)) as? [String: Any] else { return [] }
            fields["kind"] = nil
            var line = Array(#"{"kind":""#.utf8) + Array(kind.rawValue.utf8) + [UInt8(ascii: "\"")]
            if !fields.isEmpty {
                let rest = Array(try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]))
                line += [UInt8(ascii: ",")] + rest.dropFirst()  // the rest's own "{"
            } else {
                line.append(UInt8(ascii: "}"))
            }
            return line + [0x0a]
        }

        public static func decode(_ line: ArraySlice<UInt8>) throws -> Meta {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            decoder.dataDecodingStrategy = .base64
            return try decoder.decode(Meta.self, from: Data(line))
        }
    }
}
