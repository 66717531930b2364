// swift-tools-version: 6.1
import PackageDescription

// Benchmarks for kura's parsers, decoders and value converters, kept out of the main package so that its tests and
// CI never build them. Run with `swift package benchmark` from this folder (see README.md).
let package = Package(
    name: "kura-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "kura", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KuraBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KuraCore", package: "kura"),
                .product(name: "KuraFormats", package: "kura"),
                .product(name: "KuraPlugins", package: "kura"),
            ],
            path: "Benchmarks/KuraBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v5]
)
