import OMSTestKit
import Foundation
import OMSProtocol
import Testing

/// Network ids and the Noise prologue, against `protocol-spec/vectors/prologue.json`.
struct NetworkIDTests {
    struct File: Decodable {
        struct Valid: Decodable, CustomTestStringConvertible {
            let networkId: String
            let prologue: String
            var testDescription: String { networkId }
        }
        let valid: [Valid]
        let invalid: [String]
    }

    static let file: File = try! ProtocolVectors.load("prologue.json")

    @Test(arguments: file.valid)
    func prologueMatchesTheVector(_ v: File.Valid) throws {
        let network = try NetworkID(v.networkId)
        #expect(network.rawValue == v.networkId)
        #expect(network.prologue.hex == v.prologue)
    }

    @Test(arguments: file.invalid)
    func invalidNetworkIDsAreRefused(_ text: String) {
        #expect(throws: NetworkIDError.self) { try NetworkID(text) }
    }

    @Test func mainNetwork() {
        #expect(NetworkID.main.rawValue == "oms-main")
        #expect(NetworkID.main.prologue == Array("oms/1".utf8) + [0] + Array("oms-main".utf8))
    }

    @Test func codableAsItsText() throws {
        let json = try JSONEncoder().encode([try NetworkID("testnet-7")])
        #expect(String(decoding: json, as: UTF8.self) == #"["testnet-7"]"#)
        #expect(try JSONDecoder().decode([NetworkID].self, from: json) == [try NetworkID("testnet-7")])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([NetworkID].self, from: Data(#"["Bad"]"#.utf8)) }
    }
}
