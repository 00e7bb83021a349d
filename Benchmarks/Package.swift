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
        // The raw SQLite limit of the Scale suite (the same GRDB the main package uses).
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The raw P-256 limit of the Migration suite (the swift-crypto OMSTrust verifies with).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // Not "Crypto": swift-crypto (which Hummingbird brings into the graph) has a target of that
        // name, and target names must be unique across the whole package graph.
        .executableTarget(
            name: "Signatures",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "CSodium", package: "OpenMustardSeed"),
            ],
            path: "Benchmarks/Signatures",
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
                .product(name: "OMSCore", package: "OpenMustardSeed"),
                .product(name: "OMSStore", package: "OpenMustardSeed"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PingPong",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Policy",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCore", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
            ],
            path: "Benchmarks/Policy",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Scale",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCore", package: "OpenMustardSeed"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
                .product(name: "OMSStore", package: "OpenMustardSeed"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Benchmarks/Scale",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DataStore",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCore", package: "OpenMustardSeed"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
                .product(name: "OMSStore", package: "OpenMustardSeed"),
                .product(name: "OMSNode", package: "OpenMustardSeed"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Benchmarks/DataStore",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Community",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCore", package: "OpenMustardSeed"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
                .product(name: "OMSStore", package: "OpenMustardSeed"),
                .product(name: "OMSNode", package: "OpenMustardSeed"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Community",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Migration",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OMSCore", package: "OpenMustardSeed"),
                .product(name: "OMSCrypto", package: "OpenMustardSeed"),
                .product(name: "OMSProtocol", package: "OpenMustardSeed"),
                .product(name: "OMSStore", package: "OpenMustardSeed"),
                .product(name: "OMSNode", package: "OpenMustardSeed"),
                .product(name: "OMSTrust", package: "OpenMustardSeed"),
                .product(name: "OMSTestKit", package: "OpenMustardSeed"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Migration",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
