/// The name of an OMS network. It goes into every Noise prologue, so nodes of different
/// networks (the public network, each testnet) fail the handshake and never talk.
public struct NetworkID: Hashable, Sendable, CheckedText {
    public let rawValue: String

    /// 1 to 32 characters of a-z, 0-9 and '-'.
    public init(_ rawValue: String) throws(NetworkIDError) {
        let utf8 = rawValue.utf8
        guard (1...32).contains(utf8.count),
            utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 })
        else { throw NetworkIDError(text: rawValue) }
        self.rawValue = rawValue
    }

    /// The network a node joins unless told otherwise.
    public static let main = try! NetworkID("oms-main")

    /// `"oms/1" | 0x00 | network id`: what both sides mix into the handshake.
    public var prologue: [UInt8] { Array("oms/1".utf8) + [0] + Array(rawValue.utf8) }
}

public struct NetworkIDError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public var description: String { "'\(text)' is not a network id: use 1 to 32 characters of a-z, 0-9 and '-'" }
}
