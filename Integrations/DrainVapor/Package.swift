// swift-tools-version:6.1
import PackageDescription

// The Vapor integration lives in its own package, like DrainHummingbird: Vapor and its dependencies
// (async-http-client, swift-crypto, multipart-kit, routing-kit, console-kit, websocket-kit, …) add minutes
// to a first build, and a user of the Drain library who serves no Vapor app should not pay them. Only this
// package builds them.
//
// The main package is a path dependency. SwiftPM names a path dependency after its folder, and a clone
// may be in a folder of any name, so the identity is read from this file's own path.
let root = String(#filePath.split(separator: "/").dropLast(3).last ?? "main")

let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"], .when(configuration: .debug))
]

let package = Package(
    name: "drain-vapor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DrainVapor", targets: ["DrainVapor"]),
        .executable(name: "drain-vapor-example", targets: ["drain-vapor-example"]),
    ],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        // NIOCore's TimeAmount: Vapor's shutdownTimeout is one, and Vapor does not re-export it.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "DrainVapor",
            dependencies: [
                .product(name: "Drain", package: root),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "drain-vapor-example",
            dependencies: [
                "DrainVapor",
                .product(name: "Drain", package: root),
                .product(name: "DrainControl", package: root),
                .product(name: "DrainClient", package: root),
                .product(name: "DrainSQLite", package: root),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DrainVaporTests",
            dependencies: [
                .product(name: "DrainClient", package: root),
                .product(name: "DrainProtocol", package: root),
                .product(name: "DrainSpawn", package: root),
                // The example app, the HTTP probe, the tmux pane and the polling helper, shared with the
                // other integration package's tests and the main package's.
                .product(name: "DrainTesting", package: root),
            ]
        ),
    ]
)
