// Ed25519 through OMSCrypto against the same libsodium calls made directly, in one run, with the
// same 64-byte message and the same key, so the ratio between the two is the wrapper's cost.

import Benchmark
import CSodium
import OMSCrypto

/// The fixed inputs every Signatures benchmark shares.
struct SigningFixture: @unchecked Sendable {
    let seed: [UInt8] = (0..<32).map { UInt8($0) }
    let message: [UInt8] = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    let key: Ed25519.PrivateKey
    /// libsodium's 64-byte secret key (seed | public key) for the same seed.
    let rawSecretKey: UnsafeMutablePointer<UInt8>
    let rawPublicKey: [UInt8]
    let signature: [UInt8]

    init() {
        precondition(sodium_init() >= 0, "libsodium failed to initialise")
        key = try! Ed25519.PrivateKey(seed: seed)
        rawSecretKey = .allocate(capacity: Int(crypto_sign_secretkeybytes()))
        var publicKey = [UInt8](repeating: 0, count: 32)
        _ = crypto_sign_seed_keypair(&publicKey, rawSecretKey, seed)
        precondition(publicKey == key.publicKey.rawRepresentation, "OMSCrypto and libsodium derived different keys")
        rawPublicKey = publicKey
        signature = key.signature(for: message)
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
    let fixture = SigningFixture()

    Benchmark("Ed25519 sign 64 B (OMSCrypto)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(fixture.key.signature(for: fixture.message))
        }
    }

    Benchmark("Ed25519 sign 64 B (raw libsodium)") { benchmark in
        var signature = [UInt8](repeating: 0, count: 64)
        for _ in benchmark.scaledIterations {
            _ = crypto_sign_detached(
                &signature, nil, fixture.message, UInt64(fixture.message.count), fixture.rawSecretKey)
            blackHole(signature)
        }
    }

    Benchmark("Ed25519 verify 64 B (OMSCrypto)") { benchmark in
        for _ in benchmark.scaledIterations {
            precondition(fixture.key.publicKey.isValidSignature(fixture.signature, for: fixture.message))
        }
    }

    Benchmark("Ed25519 verify 64 B (raw libsodium)") { benchmark in
        for _ in benchmark.scaledIterations {
            precondition(
                crypto_sign_verify_detached(
                    fixture.signature, fixture.message, UInt64(fixture.message.count), fixture.rawPublicKey) == 0)
        }
    }
}
