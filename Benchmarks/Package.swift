// swift-tools-version:6.1
import PackageDescription

// The micro-benchmarks live in their own package so that the main build and CI's test run stay
// lean: package-benchmark and its dependencies are only built here.
//
// The main package is a path dependency. SwiftPM names a path dependency after its folder, and
// a clone may be in a folder of any name, so the identity is read from this file's own path.
let root = String(#filePath.split(separator: "/").dropLast(2).last ?? "main")

let package = Package(
    name: "drainctl-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(
            url: "https://github.com/ordo-one/benchmark.git",
            from: "1.38.1",
            traits: ["MallocInterposer"]
        ),
    ],
    targets: [
        // Pools started for measurement, shared by the benchmark executables.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "Drain", package: root),
                .product(name: "DrainSQLite", package: root),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "PoolBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Drain", package: root),
                .product(name: "DrainSQLite", package: root),
            ],
            path: "Benchmarks/PoolBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ControlBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Drain", package: root),
                .product(name: "DrainControl", package: root),
                .product(name: "DrainProtocol", package: root),
            ],
            path: "Benchmarks/ControlBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
