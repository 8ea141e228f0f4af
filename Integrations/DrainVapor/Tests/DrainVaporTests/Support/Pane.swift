import DrainSpawn
import Foundation
import Testing

/// `drainctl top` in a private tmux server's pane, read with `capture-pane`.
///
/// drainctl is the main package's, built before this package by `.ci/run` and by the README's steps:
/// this package does not build it again.
final class Pane {
    static let drainctl: URL = {
        var url = ExampleApp.binary
        // <main>/Integrations/DrainVapor/.build/debug/<example> → <main>/.build/debug/drainctl
        for _ in 0..<5 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/debug/drainctl")
    }()

    let server = "dv-\(UUID().uuidString.prefix(8))"

    /// Starts `command` in a detached 120×40 session; the pane stays open after it ends. `timeout` ends
    /// it in any case, so a failed test that never reaches ``close()`` leaves nothing running for long;
    /// `--foreground` keeps `top` in the terminal's foreground, where it gets the SIGHUP of ``close()``.
    init(_ command: String) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.drainctl.path) else {
            Issue.record("\(Self.drainctl.path) is missing: build the main package first (swift build)")
            throw CancellationError()
        }
        _ = await tmux([
            "new-session", "-d", "-x", "120", "-y", "40", "-e", "LANG=C.UTF-8",
            "timeout --foreground 90 \(command); sleep 30",
        ])
    }

    /// Runs one tmux command against this pane's server; returns its output.
    ///
    /// Output to a file and the exit awaited by pid: the tmux server the first command forks keeps the
    /// client's descriptors, so a pipe would never end.
    @discardableResult
    func tmux(_ arguments: [String]) async -> String {
        let output = "/tmp/\(server)-\(UUID().uuidString.prefix(6)).out"
        defer { unlink(output) }
        guard
            let client = try? ChildProcess(
                executable: "/usr/bin/tmux", arguments: ["-L", server, "-f", "/dev/null"] + arguments,
                environment: ProcessInfo.processInfo.environment, outputPath: output)
        else { return "" }
        _ = await client.wait(upTo: .seconds(10))
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    /// Ends the pane, and `drainctl top` with it.
    func close() async { await tmux(["kill-server"]) }

    func capture() async -> String { await tmux(["capture-pane", "-p", "-J"]) }

    /// Waits until the pane matches; returns the pane.
    @discardableResult
    func waitUntil(_ what: String, _ matches: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(20)
        var screen = ""
        while ContinuousClock.now < deadline {
            screen = await capture()
            if matches(screen) { return screen }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what); the pane:\n\(screen)")
        throw CancellationError()
    }
}
