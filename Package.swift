// swift-tools-version: 6.1
import PackageDescription

/// A built-in plugin: one target under `plugins/<kind>-<name>/`, depending on the core (and a C library at most).
func plugin(_ name: String, _ path: String, _ extra: [Target.Dependency] = []) -> Target {
    .target(name: name, dependencies: ["KuraCore"] + extra, path: "plugins/\(path)")
}

let pluginTargets: [Target] = [
    plugin("InputFile", "input-file"),
    plugin("DecoderGzip", "decoder-gzip", ["CZlib", "CIsal"]),
    plugin("DecoderBzip2", "decoder-bzip2", ["CBzip2"]),
    plugin("ParserCSV", "parser-csv", ["KuraFormats"]),
    plugin("ParserJSON", "parser-json", ["KuraFormats"]),
    plugin("FilterRename", "filter-rename"),
    plugin("FilterRemoveColumns", "filter-remove_columns"),
    plugin("FilterColumn", "filter-column", ["KuraFormats", "KuraExpressions"]),
    plugin("FilterRow", "filter-row", ["KuraFormats", "KuraExpressions"]),
    plugin("FilterExpandJSON", "filter-expand_json", ["KuraFormats"]),
    plugin("FormatterCSV", "formatter-csv", ["KuraFormats"]),
    plugin("FormatterJSONL", "formatter-jsonl", ["KuraFormats"]),
    plugin("EncoderGzip", "encoder-gzip", ["CZlib"]),
    plugin("OutputNull", "output-null"),
    plugin("OutputStdout", "output-stdout", ["KuraFormats"]),
    plugin("OutputFile", "output-file"),
    plugin("OutputSQLite", "output-sqlite", ["KuraSQLite", "KuraWarehouse"]),
    plugin("OutputPostgreSQL", "output-postgresql", ["KuraFormats", "CLibPQ", "KuraLibPQ", "KuraWarehouse"]),
    // Embulk's generic JDBC output: picks output sqlite or postgresql by the JDBC URL.
    plugin("OutputJDBC", "output-jdbc", ["OutputSQLite", "OutputPostgreSQL"]),
    // Amazon Redshift: gzip'd CSV parts staged in S3, then COPY … FROM 's3://…'; PostgreSQL servers load as postgresql.
    plugin("OutputRedshift", "output-redshift", ["OutputPostgreSQL", "KuraLibPQ", "KuraWarehouse", "KuraS3", "KuraFormats", "EncoderGzip"]),
]

let package = Package(
    name: "kura",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kura", targets: ["kura"]),
        .library(name: "KuraCore", targets: ["KuraCore"]),
        .library(name: "KuraFormats", targets: ["KuraFormats"]),
        // The built-in plugins as one library, for the benchmark and fuzz packages (Benchmarks/, Fuzz/).
        .library(name: "KuraPlugins", targets: pluginTargets.map(\.name)),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // kura serve: a small HTTP server on Swift concurrency and BSD sockets (no SwiftNIO), and Mustache templates.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // The model and the plugin SPI: no I/O, no Foundation.
        .target(name: "KuraCore"),
        // Value codecs shared by plugins: JSON, timestamps and zones, charsets, numbers, byte scanning.
        .target(name: "KuraFormats", dependencies: ["KuraCore", "CKuraSIMD"]),
        // Typed expressions over pages (derived columns, conditions): parsed and checked at plan time; pure.
        .target(name: "KuraExpressions", dependencies: ["KuraCore", "KuraFormats"]),
        // Vectorized byte classification (C with SSE2/AVX2 intrinsics) for the tokenizers.
        .target(name: "CKuraSIMD"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // ISA-L's igzip: the gzip decoder's inflate (zlib stays the fallback for zlib-wrapped streams).
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // glibc's <malloc.h> (mallopt), for the executable's allocator tuning; part of libc, nothing to link.
        .systemLibrary(name: "CMalloc"),
        .target(
            name: "KuraBuiltins",
            dependencies: pluginTargets.map { .target(name: $0.name) } + ["KuraCore"]),
        // Thin Swift wrappers over the C clients, shared by the warehouse and the output plugins.
        .target(name: "KuraSQLite", dependencies: ["KuraCore", "CSQLite"]),
        .target(name: "KuraLibPQ", dependencies: ["KuraCore", "CLibPQ"]),
        // One HTTP request through libcurl, with AWS SigV4 signing (C, since libcurl's setters are variadic).
        .target(name: "CKuraCurl", linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("crypto")]),
        // A small S3 client (put, get, delete, list) for the Redshift output's staging files.
        .target(name: "KuraS3", dependencies: ["KuraCore", "CKuraCurl"]),
        // kura's own tables (runs, file ledger, rejects), versioned, in SQLite and PostgreSQL.
        .target(name: "KuraWarehouse", dependencies: ["KuraCore", "KuraSQLite", "KuraLibPQ"]),
        .target(name: "KuraRuntime", dependencies: ["KuraCore", "KuraFormats", .product(name: "Yams", package: "Yams")]),
        // `kura guess`: one guesser per decision (decoders, charset, dialect, layout, header, types), proven with
        // the real parser plugins through the load plan.
        .target(name: "KuraGuess", dependencies: ["KuraCore", "KuraFormats", "KuraRuntime"]),
        // Cron expressions, schedules, job files and (next) the scheduler's decisions.
        .target(name: "KuraJobs", dependencies: ["KuraCore", "KuraFormats", "KuraRuntime", "KuraWarehouse", "KuraSQLite", "KuraLibPQ"]),
        // The jobs as Kubernetes objects (CronJobs, Indexed Jobs, the ConfigMap of job files, Secret references).
        .target(name: "KuraKubernetes", dependencies: ["KuraCore", "KuraJobs", "KuraRuntime", .product(name: "Yams", package: "Yams")]),
        // kura serve: read-only pages, JSON and metrics over the warehouse's history.
        .target(
            name: "KuraServe",
            dependencies: [
                "KuraCore", "KuraFormats", "KuraJobs", "KuraWarehouse", "KuraSQLite", "KuraLibPQ",
                .product(name: "FlyingFox", package: "FlyingFox"), .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]),
        .executableTarget(
            name: "kura",
            dependencies: [
                "KuraCore", "KuraFormats", "KuraRuntime", "KuraGuess", "KuraJobs", "KuraKubernetes", "KuraServe", "KuraBuiltins", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "KuraTestSupport", dependencies: ["KuraCore", "KuraWarehouse"], path: "Tests/KuraTestSupport"),
        .testTarget(name: "KuraCoreTests", dependencies: ["KuraCore"]),
        .testTarget(name: "KuraJobsTests", dependencies: ["KuraJobs", "KuraBuiltins", "KuraWarehouse", "KuraSQLite", "KuraTestSupport"]),
        .testTarget(
            name: "KuraKubernetesTests",
            dependencies: ["kura", "KuraKubernetes", "KuraJobs", "KuraRuntime", "KuraTestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "KuraFormatsTests", dependencies: ["KuraFormats", "KuraTestSupport"]),
        .testTarget(name: "ParserCSVTests", dependencies: ["ParserCSV", "KuraTestSupport"]),
        .testTarget(name: "ParserJSONTests", dependencies: ["ParserJSON", "FormatterJSONL", "KuraTestSupport"]),
        .testTarget(name: "CodecTests", dependencies: ["DecoderGzip", "DecoderBzip2", "EncoderGzip", "InputFile", "OutputFile", "KuraTestSupport"]),
        .testTarget(name: "OutputSQLiteTests", dependencies: ["OutputSQLite", "KuraSQLite", "KuraWarehouse", "KuraTestSupport"]),
        .testTarget(name: "OutputPostgreSQLTests", dependencies: ["OutputPostgreSQL", "KuraLibPQ", "KuraTestSupport"]),
        .testTarget(
            name: "OutputJDBCTests",
            dependencies: ["kura", "OutputJDBC", "OutputSQLite", "OutputPostgreSQL", "KuraSQLite", "KuraTestSupport"]),
        .testTarget(name: "KuraS3Tests", dependencies: ["KuraS3", "KuraTestSupport"]),
        .testTarget(
            name: "OutputRedshiftTests",
            dependencies: ["kura", "OutputRedshift", "OutputPostgreSQL", "KuraS3", "KuraLibPQ", "DecoderGzip", "KuraTestSupport"]),
        .testTarget(name: "KuraWarehouseTests", dependencies: ["KuraWarehouse", "KuraTestSupport"]),
        // Everything that needs a live PostgreSQL server (KURA_TEST_PG_HOST); skipped in one place without one.
        .testTarget(
            name: "PostgreSQLIntegrationTests",
            dependencies: [
                "kura", "KuraWarehouse", "KuraLibPQ", "OutputPostgreSQL", "KuraRuntime", "KuraBuiltins", "KuraTestSupport",
            ]),
        .testTarget(
            name: "KuraServeTests",
            dependencies: ["kura", "KuraServe", "KuraJobs", "KuraWarehouse", "KuraSQLite", "KuraCore", "KuraTestSupport"]),
        .testTarget(
            name: "FilterTests",
            dependencies: [
                "FilterRename", "FilterRemoveColumns", "FilterColumn", "FilterRow", "FilterExpandJSON", "KuraExpressions",
                "KuraTestSupport",
            ]),
        .testTarget(
            name: "FormatterCSVTests",
            dependencies: ["FormatterCSV", "OutputNull", "OutputStdout", "KuraTestSupport"]),
        .testTarget(
            name: "KuraGuessTests",
            dependencies: ["kura", "KuraGuess", "KuraRuntime", "KuraBuiltins", "KuraFormats", "KuraTestSupport"],
            exclude: ["Golden"]),
        .testTarget(
            name: "KuraRuntimeTests",
            dependencies: [
                "KuraRuntime", "KuraBuiltins", "OutputSQLite", "KuraSQLite", "KuraTestSupport",
                .product(name: "Yams", package: "Yams"),
            ]),
    ] + pluginTargets,
    swiftLanguageModes: [.v5]
)
