// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for kura's parsers and decoders, kept out of the main package so that its tests never build
// them. Build and run them with `scripts/fuzz` from the repository root; it passes `-sanitize=fuzzer,address`.
let targets = ["fuzz-csv", "fuzz-json", "fuzz-json-compact", "fuzz-gzip", "fuzz-timestamp"]

let package = Package(
    name: "kura-fuzz",
    platforms: [.macOS(.v13)],
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [.package(name: "kura", path: "..")],
    targets: [
        .target(
            name: "KuraFuzzing",
            dependencies: [
                .product(name: "KuraCore", package: "kura"),
                .product(name: "KuraFormats", package: "kura"),
                .product(name: "KuraPlugins", package: "kura"),
            ])
    ] + targets.map { .executableTarget(name: $0, dependencies: ["KuraFuzzing"]) },
    swiftLanguageModes: [.v5]
)
