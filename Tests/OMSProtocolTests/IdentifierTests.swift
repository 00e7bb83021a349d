import Foundation
import OMSCrypto
import OMSProtocol
import Testing

/// Typed ids: round trips, kinds kept apart, and messages that say what was wrong.
struct IdentifierTests {
    let sample: [UInt8] = (0..<32).map { UInt8($0 * 7 & 0xff) }

    @Test func everyKindRoundTrips() throws {
        func roundTrip<ID: Identifier>(_: ID.Type) throws {
            let id = try ID(bytes: sample)
            let text = id.description
            #expect(text.hasPrefix(ID.kind.prefix + "1"))
            #expect(text.count == ID.kind.prefix.count + 1 + 52 + 6)
            #expect(try ID(parsing: text) == id)
            #expect(ID(text) == id)
            #expect(try ID(parsing: "  \(text)\n") == id)
            #expect(try ID(parsing: text.uppercased()) == id)
            #expect(id.short == String(text.prefix(ID.kind.prefix.count + 1 + 8)))
        }
        try roundTrip(NodeID.self)
        try roundTrip(TCFID.self)
        try roundTrip(TCCID.self)
        try roundTrip(PersonaID.self)
        try roundTrip(ObjectID.self)
    }

    @Test func prefixes() {
        #expect(IdentifierKind.allCases.map(\.prefix) == ["node", "tcf", "tcc", "persona", "obj"])
    }

    @Test func aNodeIDWhereATCCIDIsExpectedNamesBothKinds() throws {
        let node = try NodeID(bytes: sample)
        do {
            _ = try TCCID(parsing: node.description)
            Issue.record("a node id parsed as a tcc id")
        } catch {
            #expect(error.expected == .tcc)
            #expect(error.description.contains("tcc id"))
            #expect(error.description.contains("node id"))
        }
        #expect(TCCID(node.description) == nil)
    }

    @Test func wrongByteCountIsRefused() {
        #expect(throws: IdentifierError.self) { try NodeID(bytes: Array(self.sample.dropLast())) }
        #expect(throws: IdentifierError.self) { try NodeID(bytes: self.sample + [0]) }
        #expect(throws: IdentifierError.self) { try NodeID(bytes: []) }
    }

    @Test func nodeIDIsThePublicKey() throws {
        let key = try Ed25519.PrivateKey(seed: Array(repeating: 3, count: 32))
        let id = NodeID(publicKey: key.publicKey)
        #expect(id.bytes == key.publicKey.rawRepresentation)
        #expect(id.publicKey == key.publicKey)
    }

    @Test func codableAsItsText() throws {
        let id = try PersonaID(bytes: sample)
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(id.description)\"]")
        #expect(try JSONDecoder().decode([PersonaID].self, from: json) == [id])
        let wrong = try JSONEncoder().encode([try TCFID(bytes: sample)])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([PersonaID].self, from: wrong) }
    }

    @Test func everySingleCharacterTypoIsCaught() throws {
        let text = try TCCID(bytes: sample).description
        let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        var chars = Array(text)
        for index in 4..<chars.count {
            let original = chars[index]
            for replacement in alphabet where replacement != original {
                chars[index] = replacement
                #expect(TCCID(String(chars)) == nil, "typo at \(index) accepted")
            }
            chars[index] = original
        }
    }
}
