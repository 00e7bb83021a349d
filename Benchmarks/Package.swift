// swift-tools-version:6.2
// Benchmarks for Open Mustard Seed, kept in their own package so that the main package's test build
// does not pay for package-benchmark. Run with `make bench` (see BENCHMARKS.md at the repository root).
import PackageDescription

let package = Package(
    name: "OMSBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "OpenMustardSeed", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "Crypto",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "CSodium", package: "OpenMustardSeed"),
            ],
            path: "Benchmarks/Crypto",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Envelope",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
                .product(name: "CSodium", package: "OpenMustardSeed"),
            ],
            path: "Benchmarks/Envelope",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Handshake",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
                .product(name: "CSodium", package: "OpenMustardSeed"),
            ],
            path: "Benchmarks/Handshake",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PingPong",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
                .product(name: "OMSNode", package: "OpenMustardSeed"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PingPong",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
