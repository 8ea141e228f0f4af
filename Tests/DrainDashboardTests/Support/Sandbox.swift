import DrainTestSupport
import Foundation

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
