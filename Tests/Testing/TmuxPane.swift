import DrainSpawn
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A command (usually `drainctl top`) in a private tmux server's 120×40 pane, read with `capture-pane`.
///
/// For the integration packages' tests: drainctl is the main package's debug build, built before them by
/// `.ci/run` and by the README's steps, so those packages do not build it again.
public final class TmuxPane {
    /// The main package's debug drainctl: this file is `<main>/Tests/Testing/TmuxPane.swift`.
    public static let drainctl: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/debug/drainctl")
    }()

    let server = "tp-\(UUID().uuidString.prefix(8))"

    /// Starts `command` in a detached 120×40 session; the pane stays open after it ends. `timeout` ends
    /// it in any case, so a failed test that never reaches ``close()`` leaves nothing running for long;
    /// `--foreground` keeps `top` in the terminal's foreground, where it gets the SIGHUP of ``close()``.
    public init(_ command: String) async throws {
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
    public func tmux(_ arguments: [String]) async -> String {
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

    /// Ends the pane, and the command with it.
    public func close() async { await tmux(["kill-server"]) }

    /// The pane's text now.
    public func capture() async -> String { await tmux(["capture-pane", "-p", "-J"]) }

    /// Waits until the pane matches; returns the pane.
    @discardableResult
    public func waitUntil(
        _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ matches: (String) -> Bool
    ) async throws -> String {
        var screen = ""
        do {
            return try await eventuallyValue(what, sourceLocation: sourceLocation) {
                screen = await capture()
                return matches(screen) ? screen : nil
            }
        } catch {
            Issue.record("the pane, when the wait ended:\n\(screen)", sourceLocation: sourceLocation)
            throw error
        }
    }
}
