// Signed envelopes: how fast a node can open (parse + verify) what peers send, against the floor
// of one raw libsodium verify of the same signing input, in the same run. Decoding alone shows
// what the envelope costs on top of the signature check.

import Benchmark
import CSodium
import OMSCrypto
import OMSProtocol

/// One `oms/note` envelope with a 100-byte payload, and its signing input rebuilt from
/// protocol-spec/README.md ("Envelopes") for the raw comparison.
struct EnvelopeFixture: Sendable {
    let envelope: Envelope
    let bytes: [UInt8]
    let signingInput: [UInt8]
    let signature: [UInt8]
    let signer: [UInt8]

    init() {
        precondition(sodium_init() >= 0, "libsodium failed to initialise")
        let key = try! Ed25519.PrivateKey(seed: (0..<32).map { UInt8($0) })
        let payload = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        envelope = Envelope.sign(type: .note, payload: payload, with: key)
        bytes = envelope.bytes
        let type = Array(EnvelopeType.note.rawValue.utf8)
        signingInput = Array("oms/v1/envelope".utf8) + [0, UInt8(type.count)] + type + payload
        signature = envelope.signature
        signer = key.publicKey.rawRepresentation
        precondition(
            crypto_sign_verify_detached(signature, signingInput, UInt64(signingInput.count), signer) == 0,
            "the rebuilt signing input does not match what Envelope signs")
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 200
    )
    let fixture = EnvelopeFixture()

    Benchmark("Envelope.open 100 B payload (decode + verify)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! Envelope.open(fixture.bytes, expecting: .note))
        }
    }

    Benchmark("Raw verify of the same signing input (libsodium)") { benchmark in
        for _ in benchmark.scaledIterations {
            precondition(
                crypto_sign_verify_detached(
                    fixture.signature, fixture.signingInput, UInt64(fixture.signingInput.count), fixture.signer) == 0)
        }
    }

    Benchmark("Envelope decode 100 B payload (no verify)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! Envelope(decoding: fixture.bytes))
        }
    }
}
