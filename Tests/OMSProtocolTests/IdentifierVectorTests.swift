import OMSTestKit
import OMSProtocol
import Testing

/// `protocol-spec/vectors/identifiers.json`: typed ids print and parse as the Python bech32m does,
/// and every invalid string is refused for the reason the file gives.
struct IdentifierVectorTests {
    struct File: Decodable {
        let valid: [Valid]
        let invalid: [Invalid]
    }

    struct Valid: Decodable, CustomTestStringConvertible {
        let kind: String
        let bytes: String
        let text: String
        var testDescription: String { text }
    }

    struct Invalid: Decodable, CustomTestStringConvertible {
        let name: String
        let text: String
        let expected: String
        let reason: String
        var testDescription: String { name }
    }

    static let file: File = try! ProtocolVectors.load("identifiers.json")

    /// Formats `bytes` as an id of `kind`, through the typed id of that kind.
    static func format(kind: String, bytes: [UInt8]) throws -> String {
        switch IdentifierKind(rawValue: kind) {
        case .node: try NodeID(bytes: bytes).description
        case .tcf: try TCFID(bytes: bytes).description
        case .tcc: try TCCID(bytes: bytes).description
        case .persona: try PersonaID(bytes: bytes).description
        case .object: try ObjectID(bytes: bytes).description
        case nil: throw UnknownKind(kind: kind)
        }
    }

    /// Parses `text` as an id of `kind` and returns its bytes.
    static func parse(kind: String, text: String) throws -> [UInt8] {
        switch IdentifierKind(rawValue: kind) {
        case .node: try NodeID(parsing: text).bytes
        case .tcf: try TCFID(parsing: text).bytes
        case .tcc: try TCCID(parsing: text).bytes
        case .persona: try PersonaID(parsing: text).bytes
        case .object: try ObjectID(parsing: text).bytes
        case nil: throw UnknownKind(kind: kind)
        }
    }

    struct UnknownKind: Error { let kind: String }

    @Test func everyKindHasAVector() {
        #expect(Set(Self.file.valid.map(\.kind)) == Set(IdentifierKind.allCases.map(\.prefix)))
        #expect(
            Set(Self.file.invalid.map(\.reason)) == [
                "wrongKind", "badChecksum", "mixedCase", "wrongLength", "unknownPrefix", "invalidCharacter",
                "noSeparator",
            ])
    }

    @Test(arguments: file.valid)
    func bytesPrintAsTheVectorText(_ v: Valid) throws {
        #expect(try Self.format(kind: v.kind, bytes: [UInt8](hex: v.bytes)) == v.text)
        #expect(try Self.parse(kind: v.kind, text: v.text).hex == v.bytes)
        #expect(try Self.parse(kind: v.kind, text: v.text.uppercased()).hex == v.bytes)
        let decoded = try Bech32m.decode(v.text)
        #expect(decoded.prefix == v.kind)
        #expect(decoded.bytes.hex == v.bytes)
    }

    @Test(arguments: file.invalid)
    func invalidTextIsRefusedForItsReason(_ v: Invalid) throws {
        let error: IdentifierError
        do {
            _ = try Self.parse(kind: v.expected, text: v.text)
            Issue.record("accepted '\(v.text)' as a \(v.expected) id")
            return
        } catch let e as IdentifierError {
            error = e
        }
        #expect(error.expected.prefix == v.expected)
        #expect(error.description.contains("\(v.expected) id"))

        let bech32: Result<(prefix: String, bytes: [UInt8]), Bech32m.DecodingError> = Result {
            () throws(Bech32m.DecodingError) in try Bech32m.decode(v.text)
        }
        switch v.reason {
        case "wrongKind":
            let found = try bech32.get().prefix
            #expect(found != v.expected)
            #expect(error.description.contains("it is a \(found) id"), "\(error)")
        case "wrongLength":
            #expect(try bech32.get().bytes.count != 32)
            #expect(error.problem.contains("bytes"), "\(error)")
        case "unknownPrefix":
            let found = try bech32.get().prefix
            #expect(IdentifierKind(rawValue: found) == nil)
            #expect(error.problem.contains("'\(found)' is not an OMS id kind"), "\(error)")
        default:
            guard case .failure(let decodingError) = bech32 else {
                Issue.record("bech32m accepted '\(v.text)'")
                return
            }
            #expect(Self.name(of: decodingError.reason) == v.reason)
            #expect(error.problem == decodingError.description)
        }
    }

    static func name(of reason: Bech32m.DecodingError.Reason) -> String {
        switch reason {
        case .tooLong: "tooLong"
        case .mixedCase: "mixedCase"
        case .noSeparator: "noSeparator"
        case .invalidCharacter: "invalidCharacter"
        case .badChecksum: "badChecksum"
        case .badPadding: "badPadding"
        case .emptyPrefix: "emptyPrefix"
        }
    }
}
