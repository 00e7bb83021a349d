// swift-tools-version:6.2
// Fuzzers for the decoders that read bytes from peers and text from people: one executable per
// decoder, each exporting `LLVMFuzzerTestOneInput` for libFuzzer (README.md in this folder).
// A package of its own so that the main package never builds with the fuzzer sanitizer.
import PackageDescription

let package = Package(
    name: "OMSFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "OpenMustardSeed", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "FuzzEnvelope",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzFrameStream",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzHandshakePayload",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzIdentifiers",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzIdentityObjects",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzExchange",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzIngest",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzCommunity",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzGossip",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
        .executableTarget(
            name: "FuzzMigration",
            dependencies: [.product(name: "OMSFuzzTargets", package: "OpenMustardSeed")]
        ),
    ]
)
