import Foundation
import OMSTestKit

/// Loads the wire-format vectors in `protocol-spec/vectors/`, written by `generate.py` (an
/// independent Python implementation), so that every test here compares Swift's bytes with
/// another implementation's and not with itself.
enum ProtocolVectors {
    static var directory: URL {
        SharedVectors.projectRoot.appendingPathComponent("protocol-spec/vectors")
    }

    /// Decodes `name` (e.g. `envelopes.json`); keys in the files are snake_case.
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: data)
    }
}

/// A deterministic generator (SplitMix64) so that "random" splits are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
