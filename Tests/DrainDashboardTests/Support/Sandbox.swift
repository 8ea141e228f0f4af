import Foundation

/// Where the built `drainctl` and `drain-demo` are: `$DRAINCTL_BIN_DIR`, else `.build/debug` of this package.
enum Binaries {
    /// The directory holding Package.swift, found from this file.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url
    }()

    static let directory: URL = {
        if let explicit = ProcessInfo.processInfo.environment["DRAINCTL_BIN_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    static var drainctl: String { directory.appendingPathComponent("drainctl").path }
    static var demo: String { directory.appendingPathComponent("drain-demo").path }
}

/// A private directory per test (short: socket paths must fit in 107 bytes), removed at the end.
final class Sandbox {
    let root: String
    var runDir: String { root + "/run" }
    var journal: String { root + "/journal.sqlite" }

    init() throws {
        root = "/tmp/dt-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// The environment for our binaries: this run directory, no interactive backtracer, no tmux leak.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DRAINCTL_RUN_DIR"] = runDir
        environment["SWIFT_BACKTRACE"] = "interactive=no"
        environment["TMUX"] = nil
        environment["TMUX_PANE"] = nil
        return environment
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}
