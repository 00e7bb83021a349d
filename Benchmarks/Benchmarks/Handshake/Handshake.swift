// Full handshakes in one process: initiator and responder driven against each other with no
// socket, so the figure is pure CPU. Each iteration is one complete handshake, both sides' work.
// Raw Noise (no identity payloads) and the raw X25519 / Ed25519 operations show the floor.
//
// Work per handshake, both sides together: 2 ephemeral key generations (scalar x base point),
// 6 X25519 DH (ee, es, se on each side), 2 Ed25519 verifies (each side checks the other's
// identity proof), plus BLAKE2b hashing and ChaCha20-Poly1305 over a few hundred bytes.

import Benchmark
import CSodium
import OMSCrypto
import OMSProtocol

/// Long-lived keys, made once: a node signs its static key's proof at start, not per handshake.
struct HandshakeFixture: @unchecked Sendable {
    let network = try! NetworkID("oms-bench")
    let initiator = HandshakeIdentity(identity: Ed25519.PrivateKey())
    let responder = HandshakeIdentity(identity: Ed25519.PrivateKey())
    let scalar: UnsafeMutablePointer<UInt8>
    let point: [UInt8]
    let message: [UInt8] = Array(repeating: 7, count: 55)
    let signature: [UInt8]
    let signer: [UInt8]

    init() {
        precondition(sodium_init() >= 0, "libsodium failed to initialise")
        scalar = .allocate(capacity: 32)
        randombytes_buf(scalar, 32)
        point = X25519.PrivateKey().publicKey.rawRepresentation
        let key = Ed25519.PrivateKey()
        signature = key.signature(for: message)
        signer = key.publicKey.rawRepresentation
    }

    /// One OMS handshake: start, receive, receive, receive. Returns both sessions' handshake hash.
    func nodeHandshake() throws -> [UInt8] {
        var a = NodeHandshake(role: .initiator, identity: initiator, network: network)
        var b = NodeHandshake(role: .responder, identity: responder, network: network)
        let m1 = try a.start()
        guard case .send(let m2) = try b.receive(m1) else { fatalError("responder did not answer message 1") }
        guard case .sendAndEstablish(let m3, let left) = try a.receive(m2) else {
            fatalError("initiator did not finish on message 2")
        }
        guard case .establish(let right) = try b.receive(m3) else {
            fatalError("responder did not finish on message 3")
        }
        precondition(left.handshakeHash == right.handshakeHash && right.remote == initiator.nodeID)
        return left.handshakeHash
    }

    /// Noise XX alone, empty payloads, fresh ephemerals.
    func noiseHandshake() throws -> [UInt8] {
        let prologue = network.prologue
        var a = NoiseHandshake(role: .initiator, staticKey: initiator.staticKey, prologue: prologue)
        var b = NoiseHandshake(role: .responder, staticKey: responder.staticKey, prologue: prologue)
        _ = try b.readMessage(try a.writeMessage(payload: []))
        _ = try a.readMessage(try b.writeMessage(payload: []))
        _ = try b.readMessage(try a.writeMessage(payload: []))
        let left = try a.split()
        let right = try b.split()
        precondition(left.handshakeHash == right.handshakeHash)
        return left.handshakeHash
    }

    /// The public-key operations of one handshake with nothing around them: the floor.
    func rawFloor() {
        var out = [UInt8](repeating: 0, count: 32)
        for _ in 0..<2 { _ = crypto_scalarmult_base(&out, scalar) }
        for _ in 0..<6 { _ = crypto_scalarmult(&out, scalar, point) }
        for _ in 0..<2 {
            precondition(crypto_sign_verify_detached(signature, message, UInt64(message.count), signer) == 0)
        }
        blackHole(out)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 5_000
    )
    let fixture = HandshakeFixture()

    Benchmark("NodeHandshake XX + identity, both sides") { benchmark in
        blackHole(try! fixture.nodeHandshake())
    }

    Benchmark("NoiseHandshake XX, no payloads, both sides") { benchmark in
        blackHole(try! fixture.noiseHandshake())
    }

    Benchmark("Raw floor: 2 keygen + 6 X25519 + 2 Ed25519 verify") { benchmark in
        fixture.rawFloor()
    }

    Benchmark("Raw X25519 crypto_scalarmult", configuration: .init(scalingFactor: .kilo, maxIterations: 100)) {
        benchmark in
        var out = [UInt8](repeating: 0, count: 32)
        for _ in benchmark.scaledIterations {
            _ = crypto_scalarmult(&out, fixture.scalar, fixture.point)
            blackHole(out)
        }
    }

    Benchmark("Raw X25519 crypto_scalarmult_base", configuration: .init(scalingFactor: .kilo, maxIterations: 100)) {
        benchmark in
        var out = [UInt8](repeating: 0, count: 32)
        for _ in benchmark.scaledIterations {
            _ = crypto_scalarmult_base(&out, fixture.scalar)
            blackHole(out)
        }
    }
}
