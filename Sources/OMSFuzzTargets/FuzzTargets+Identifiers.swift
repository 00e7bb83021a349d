import OMSProtocol

extension FuzzTargets {
    /// The text parsers people and peers feed, on the input read as UTF-8 (invalid sequences
    /// become U+FFFD, as when a peer's bytes are shown): whatever parses must print back to a
    /// text that parses to the same value.
    public static func identifiers(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        let text = String(decoding: input, as: UTF8.self)
        if let (prefix, bytes) = try? Bech32m.decode(text) {
            try invariant(Bech32m.encode(prefix: prefix, bytes: bytes) == text.lowercased(), "bech32m did not round-trip")
        }
        try identifier(NodeID.self, text)
        try identifier(TCFID.self, text)
        try identifier(TCCID.self, text)
        try identifier(PersonaID.self, text)
        try identifier(ObjectID.self, text)
        if let endpoint = try? Endpoint(parsing: text) {
            try invariant((try? Endpoint(parsing: endpoint.description)) == endpoint, "an endpoint did not round-trip")
        }
        if let network = try? NetworkID(text) {
            try invariant(network.prologue.count == 6 + text.utf8.count, "the prologue is not 'oms/1' 0x00 id")
        }
        _ = try? EnvelopeType(text)
    }

    static func identifier<ID: Identifier>(_ type: ID.Type, _ text: String) throws(FuzzInvariantViolation) {
        guard let id = try? ID(parsing: text) else { return }
        try invariant(id.bytes.count == ID.byteCount, "an id does not carry \(ID.byteCount) bytes")
        try invariant((try? ID(parsing: id.description)) == id, "an id did not round-trip")
        _ = id.short
    }
}
