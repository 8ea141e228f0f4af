// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"], .when(configuration: .debug))
]

let package = Package(
    name: "drainctl",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DrainProtocol", targets: ["DrainProtocol"]),
        .library(name: "DrainClient", targets: ["DrainClient"]),
        .library(name: "Drain", targets: ["Drain"]),
        .library(name: "DrainControl", targets: ["DrainControl"]),
        .library(name: "DrainSQLite", targets: ["DrainSQLite"]),
        .library(name: "DrainPostgres", targets: ["DrainPostgres"]),
        .library(name: "DrainFleet", targets: ["DrainFleet"]),
        // How drainctl's tools start children (their own group, clean signals, no inherited descriptors);
        // the integration packages' tests start their processes with it too.
        .library(name: "DrainSpawn", targets: ["DrainSpawn"]),
        // Test helpers the integration packages' tests share with ours (the polling helper, the HTTP probe,
        // an example app, a tmux pane): not for applications.
        .library(name: "DrainTesting", targets: ["DrainTesting"]),
        .executable(name: "drainctl", targets: ["drainctl"]),
        .executable(name: "drain-demo", targets: ["drain-demo"]),
        .executable(name: "drain-chaos", targets: ["drain-chaos"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // The shared journal for a fleet (issue 10).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // drain-demo's /metrics; the executable bootstraps it, the libraries never do.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Test-only: property-based fuzzing of the control protocol (issue 6).
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // The contract between a process and its operators: snapshots, events, reports, requests, replies and
        // their one JSON dialect, and where the control socket lives (the run directory's rules, the socket's
        // name, the liveness probe), which the server and the client both apply. FoundationEssentials and
        // libc, no NIO, no GRDB, so a client links nothing of the server, and the server nothing of the client.
        .target(name: "DrainProtocol", swiftSettings: strict),
        // The operator side's connection to a process: plain blocking POSIX sockets, the choice of process.
        // No NIO, so `drainctl status` starts like a small C tool.
        .target(name: "DrainClient", dependencies: ["DrainProtocol"], swiftSettings: strict),
        // Starting drainctl's own children (`drainctl demo`'s drain-demo, drain-chaos's victims), with the
        // signal resets and the parent pipe they need. Apart from the socket library and the dashboard.
        .target(name: "DrainSpawn", dependencies: ["DrainProtocol"], swiftSettings: strict),
        .target(
            name: "Drain",
            dependencies: [
                "DrainProtocol",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The embedded journal: one SQLite file in WAL mode, through GRDB. Drain itself imports no storage
        // engine, so an application on the shared PostgreSQL journal links no SQLite.
        .target(
            name: "DrainSQLite",
            dependencies: ["Drain", .product(name: "GRDB", package: "GRDB.swift"), "CDrainSQLite"],
            swiftSettings: strict
        ),
        // One SQLite option that Swift cannot set itself (a variadic C call); see its header.
        .target(
            name: "CDrainSQLite",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .target(
            name: "DrainControl",
            dependencies: [
                "Drain",
                "DrainProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The shared PostgreSQL journal: claims, leases, rescue, LISTEN/NOTIFY. Drain itself imports no
        // PostgreSQL.
        .target(
            name: "DrainPostgres",
            dependencies: [
                "Drain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // A private PostgreSQL server (initdb, pg_ctl) in a temporary directory: the tests' server and
        // `drain-chaos fleet`'s. A target of its own, not test support, because a shipped tool links it.
        .target(name: "DrainLocalPostgres", dependencies: ["DrainSpawn"], swiftSettings: strict),
        // dlopen and dlsym with the loader's messages, for the two libraries loaded on demand.
        .target(name: "CDynamicLoad"),
        // ncursesw, for the screens (`top`, `demo`). Not linked, like libpq: opened with dlopen when a screen
        // starts, so `status`, `ls`, `events` and `shutdown` map neither ncursesw nor libtinfo. Building
        // needs libncurses-dev's headers; running a screen, Debian's libncursesw6.
        .target(name: "CNcurses", dependencies: ["CDynamicLoad"]),
        // libpq, for the fleet view's reads of the shared journal: a C client, so drainctl links no NIO.
        // Not linked: opened with dlopen on the first fleet read, so `status`, `ls`, `events` and `shutdown`
        // map none of libpq's ~22 libraries. Building needs libpq-dev's headers; running a fleet command,
        // Debian's libpq5.
        .target(name: "CLibpq", dependencies: ["CDynamicLoad"]),
        // The fleet as the shared PostgreSQL journal's workers and jobs tables show it: read-only.
        .target(name: "DrainFleet", dependencies: ["CLibpq", "DrainProtocol"], swiftSettings: strict),
        // SVG written as text (issue 21's timelines): no dependency at all, so the CLI, the dashboard and
        // drain-chaos's plots can share it without linking anything.
        .target(name: "DrainSVG", swiftSettings: strict),
        // The drain history an embedded journal keeps, read-only through the system libsqlite3's C API
        // (CDrainSQLite's header), so `drainctl report --journal` links no GRDB.
        .target(name: "DrainHistory", dependencies: ["CDrainSQLite", "DrainProtocol"], swiftSettings: strict),
        // Not a product: its public API is the entry points drainctl calls (Dashboard, FleetDashboard, their
        // configuration, summary and error); the layouts, models and feeds are `package`, for drainctl and the
        // tests only.
        .target(
            name: "DrainDashboard",
            dependencies: ["DrainClient", "DrainProtocol", "DrainFleet", "CNcurses", "DrainSVG"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "drainctl",
            dependencies: [
                "DrainDashboard",
                "DrainClient",
                "DrainFleet",
                "DrainHistory",
                "DrainProtocol",
                "DrainSpawn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "drain-demo",
            dependencies: [
                "Drain",
                "DrainControl",
                "DrainPostgres",
                "DrainProtocol",
                "DrainSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "demo",
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "drain-chaos",
            dependencies: [
                "Drain",
                "DrainClient",
                "DrainProtocol",
                "DrainSpawn",
                // `fleet`: drain-demos on one private PostgreSQL, started as the tests start theirs.
                "DrainPostgres",
                "DrainLocalPostgres",
                "DrainSQLite",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `calibrate` carries the finished jobs of one drain's journal to the next.
                .product(name: "GRDB", package: "GRDB.swift"),
                // `calibrate`'s reliability diagram, drawn with the timeline's SVG writer (issue 19).
                "DrainSVG",
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "DrainProtocolTests", dependencies: ["DrainProtocol"]),
        .testTarget(name: "DrainClientTests", dependencies: ["DrainClient", "DrainProtocol"]),
        .testTarget(
            name: "DrainFleetTests",
            dependencies: ["DrainFleet", "DrainLocalPostgres", "DrainProtocol", "DrainSpawn", "DrainTestSupport"]
        ),
        .testTarget(
            name: "DrainTests",
            dependencies: [
                // The pool runs over the embedded journal in these tests.
                "Drain", "DrainProtocol", "DrainSQLite", "DrainTestSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "DrainSQLiteTests",
            dependencies: [
                "DrainSQLite", "Drain",
                // drainctl's reader of the drain history, against the file the journal writes.
                "DrainHistory",
                // An old journal file is written as the previous build's migrations left it.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // What the test targets share: the built binaries, the one polling helper, a shell. Never linked by
        // anything shipped.
        // Light on purpose (no NIO, no PostgreSQL): the integration packages' tests link it too.
        .target(
            name: "DrainTesting", dependencies: ["DrainClient", "DrainProtocol", "DrainSpawn"], path: "Tests/Testing"),
        .target(
            name: "DrainTestSupport", dependencies: ["DrainPostgres", "DrainProtocol", "DrainSpawn", "DrainTesting"],
            path: "Tests/Support"),
        .testTarget(
            name: "DrainControlTests",
            dependencies: [
                "DrainControl",
                "DrainClient",
                "DrainProtocol",
                "Drain",
                "DrainSQLite",
                "DrainTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "DrainPostgresTests",
            dependencies: [
                "DrainPostgres",
                "Drain",
                "DrainLocalPostgres",
                "DrainSpawn",
                "DrainTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "DrainDashboardTests",
            dependencies: [
                "DrainDashboard", "DrainClient", "DrainFleet", "DrainLocalPostgres", "DrainProtocol", "DrainSpawn",
                "DrainTestSupport",
                // The timeline's SVG is parsed as XML (FoundationXML) and rendered by rsvg-convert.
                "DrainSVG",
            ],
            exclude: ["Goldens", "Timeline/Goldens"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Drain",
                "DrainClient",
                "DrainControl",
                "DrainProtocol",
                "DrainSQLite",
                "DrainSpawn",
                "DrainTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
