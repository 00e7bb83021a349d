import OMSProtocol

/// libFuzzer entry point for the text parsers people and peers feed: `Bech32m.decode`, the typed
/// ids, `Endpoint(parsing:)`, `NetworkID` and `EnvelopeType`, all on the input read as UTF-8
/// (invalid sequences become U+FFFD, as when a peer's bytes are shown). Whatever parses must
/// print back to a text that parses to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = start.map { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) } ?? ""

    if let (prefix, bytes) = try? Bech32m.decode(text) {
        precondition(Bech32m.encode(prefix: prefix, bytes: bytes) == text.lowercased(), "bech32m did not round-trip")
    }
    checkIdentifier(NodeID.self, text)
    checkIdentifier(TCFID.self, text)
    checkIdentifier(TCCID.self, text)
    checkIdentifier(PersonaID.self, text)
    checkIdentifier(ObjectID.self, text)
    if let endpoint = try? Endpoint(parsing: text) {
        precondition(try! Endpoint(parsing: endpoint.description) == endpoint, "an endpoint did not round-trip")
    }
    if let network = try? NetworkID(text) {
        precondition(network.prologue.count == 6 + text.utf8.count)
    }
    _ = try? EnvelopeType(text)
    return 0
}

func checkIdentifier<ID: Identifier>(_ type: ID.Type, _ text: String) {
    guard let id = try? ID(parsing: text) else { return }
    precondition(id.bytes.count == ID.byteCount)
    precondition(try! ID(parsing: id.description) == id, "an id did not round-trip")
    _ = id.short
}
