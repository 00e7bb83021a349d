// swift-tools-version:6.2
// Open Mustard Seed: a peer-to-peer node for personal data, answers and communities.
// Module layout and dependency direction: ../shared/DESIGN.md ("The house").
import PackageDescription

let package = Package(
    name: "OpenMustardSeed",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "oms", targets: ["oms"]),
        .executable(name: "oms-sim", targets: ["oms-sim"]),
        .library(name: "OMSCrypto", targets: ["OMSCrypto"]),
        .library(name: "OMSProtocol", targets: ["OMSProtocol"]),
        .library(name: "OMSCore", targets: ["OMSCore"]),
        .library(name: "OMSStore", targets: ["OMSStore"]),
        .library(name: "OMSTrust", targets: ["OMSTrust"]),
        .library(name: "OMSNode", targets: ["OMSNode"]),
        .library(name: "OMSAPI", targets: ["OMSAPI"]),
        .library(name: "OMSTestKit", targets: ["OMSTestKit"]),
        .library(name: "OMSFuzzTargets", targets: ["OMSFuzzTargets"]),
        // Raw libsodium for the Benchmarks/ package, which measures OMSCrypto against it.
        .library(name: "CSodium", targets: ["CSodium"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // NIST P-256 only, which TPMs speak and libsodium does not: verifying quotes and ECDH
        // to a TPM-resident transfer key. Already in the graph through Hummingbird's TLS.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(name: "OMSCrypto", dependencies: ["CSodium"]),
        .systemLibrary(name: "CTSS2", pkgConfig: "tss2-esys", providers: [.apt(["libtss2-dev"])]),
        // The TPM through tss2's ESAPI (issue 7): attestation, quotes, sealing.
        .target(name: "OMSTrust", dependencies: ["CTSS2", "OMSCrypto", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "OMSProtocol",
            dependencies: [
                "OMSCrypto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "OMSCore",
            dependencies: ["OMSProtocol", "OMSCrypto", .product(name: "Yams", package: "Yams")],
            // The simulator runs the generic SWIM instance a hundred thousand times over: without
            // this, every call outside the module pays for generic metadata at run time.
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
        ),
        .target(
            name: "OMSStore",
            dependencies: [
                "OMSCrypto", "OMSProtocol", "OMSCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "OMSNode",
            dependencies: [
                "OMSCore", "OMSStore", "OMSTrust", "OMSProtocol", "OMSCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "OMSAPI",
            dependencies: [
                "OMSNode", "OMSStore", "OMSTrust", "OMSCore", "OMSProtocol", "OMSCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "oms",
            dependencies: [
                "OMSAPI", "OMSNode", "OMSStore", "OMSTrust", "OMSProtocol", "OMSCrypto", "OMSCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "OMSSimulation", dependencies: ["OMSCore", "OMSCrypto", "OMSProtocol"],
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]),
        .executableTarget(
            name: "oms-sim",
            dependencies: ["OMSSimulation", "OMSCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "OMSTestKit", dependencies: ["OMSCore", "OMSCrypto"]),
        .target(name: "OMSFuzzTargets", dependencies: ["OMSCore", "OMSProtocol", "OMSCrypto"]),

        .testTarget(name: "OMSCryptoTests", dependencies: ["OMSCrypto", "OMSTestKit"]),
        .testTarget(name: "OMSProtocolTests", dependencies: ["OMSProtocol", "OMSCrypto", "OMSTestKit", "OMSFuzzTargets"]),
        .testTarget(name: "OMSCoreTests", dependencies: ["OMSCore", "OMSTestKit", "OMSSimulation"]),
        .testTarget(name: "OMSStoreTests", dependencies: ["OMSStore"]),
        .testTarget(
            name: "OMSTrustTests", dependencies: ["OMSTrust", "OMSTestKit", "CSodium", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "OMSNodeTests",
            dependencies: [
                "OMSNode", "OMSProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "OMSIntegrationTests",
            dependencies: [
                "OMSAPI", "OMSNode", "OMSStore", "OMSTrust", "OMSProtocol", "OMSCrypto", "OMSCore", "OMSTestKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
