import DrainDashboard
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A private tmux server with one pane, so tests running at the same time never share a terminal.
final class Tmux {
    let name = "dt-\(UUID().uuidString.prefix(8))"
    private let sandbox: Sandbox

    /// Starts `command` in a detached session of `columns`×`rows`. After `command` the pane prints
    /// `EXIT=<code>` and `stty -a`, then stays open, so tests can read how the terminal was left.
    init(
        _ command: String, columns: Int = 120, rows: Int = 40, environment: [String: String] = [:], in sandbox: Sandbox
    ) async throws {
        self.sandbox = sandbox
        var arguments = ["new-session", "-d", "-x", "\(columns)", "-y", "\(rows)", "-e", "LANG=C.UTF-8"]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        arguments.append("\(command); echo EXIT=$?; stty -a; sleep 120")
        try await run(arguments)
    }

    /// Runs a tmux command on this server and returns its output; the exit is awaited, so no thread of
    /// the concurrency pool waits on tmux.
    ///
    /// Spawned with `posix_spawn` (an empty signal mask) and output to a file: the tmux server forked by
    /// the first command inherits what the client had, and `Foundation.Process` never saw that client
    /// end.
    @discardableResult
    func run(_ arguments: [String]) async throws -> String {
        let client = try spawn(arguments)
        defer { try? FileManager.default.removeItem(atPath: client.output) }
        _ = await client.child.wait(upTo: .seconds(10))
        return (try? String(contentsOfFile: client.output, encoding: .utf8)) ?? ""
    }

    private func spawn(_ arguments: [String]) throws -> (child: ChildProcess, output: String) {
        let output = sandbox.root + "/tmux-\(UUID().uuidString.prefix(6)).out"
        let child = try ChildProcess(
            executable: "/usr/bin/tmux", arguments: ["-L", name, "-f", "/dev/null"] + arguments,
            environment: sandbox.environment, outputPath: output
        )
        return (child, output)
    }

    /// The pane's text now, with SGR sequences when `escapes` is true.
    func capture(escapes: Bool = false) async -> String {
        (try? await run(["capture-pane", "-p", "-J"] + (escapes ? ["-e"] : []))) ?? ""
    }

    /// Waits until the pane shows `fragment`; returns the whole pane.
    @discardableResult
    func waitFor(
        _ fragment: String, timeout: Duration = defaultWaitTimeout, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        do {
            return try await eventuallyValue(
                timeout: timeout, "“\(fragment)” in the pane", sourceLocation: sourceLocation
            ) {
                let screen = await capture()
                return screen.contains(fragment) ? screen : nil
            }
        } catch {
            Issue.record("the pane when the wait ended:\n\(await capture())", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// Waits until `match` finds something in the pane.
    @discardableResult
    func waitUntil<T>(
        _ what: String, timeout: Duration = defaultWaitTimeout, sourceLocation: SourceLocation = #_sourceLocation,
        _ match: (String) -> T?
    ) async throws -> T {
        do {
            return try await eventuallyValue(timeout: timeout, what, sourceLocation: sourceLocation) {
                match(await capture())
            }
        } catch {
            // The screen that did not match is what explains a failure.
            Issue.record("the pane when the wait ended:\n\(await capture())", sourceLocation: sourceLocation)
            throw error
        }
    }

    func send(_ keys: String...) async { _ = try? await run(["send-keys"] + keys) }

    func resize(columns: Int, rows: Int) async {
        _ = try? await run(["resize-window", "-x", "\(columns)", "-y", "\(rows)"])
    }

    /// A tmux format, like `#{alternate_on}`.
    func display(_ format: String) async -> String {
        ((try? await run(["display-message", "-p", format])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// After the command ended: the exit code, the alternate screen off, the cursor on, and `stty -a`
    /// showing canonical mode and echo back.
    func expectRestored(exitCode: Int32, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let screen = try await waitFor("EXIT=", sourceLocation: sourceLocation)
        #expect(screen.contains("EXIT=\(exitCode)"), "pane:\n\(screen)", sourceLocation: sourceLocation)
        // The local-mode line (icanon, echo) comes a few lines after `speed`: on a busy machine the pane
        // can be read between the two.
        let stty = try await waitFor("icanon", sourceLocation: sourceLocation)
        let words = Set(stty.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
        #expect(words.contains("icanon") && words.contains("echo"), "stty:\n\(stty)", sourceLocation: sourceLocation)
        #expect(await display("#{alternate_on} #{cursor_flag}") == "0 1", sourceLocation: sourceLocation)
    }

    /// Ends the server: its pane's processes get SIGHUP, as when a terminal window is closed.
    func killServer() async { _ = try? await run(["kill-server"]) }

    deinit {
        // On a thread of its own, which keeps the client until it is done (a ChildProcess released while
        // its child runs kills it); the test process outlives it, since other suites still run.
        guard let client = try? spawn(["kill-server"]) else { return }
        Thread {
            for _ in 0..<5000 where client.child.exitCode == nil { usleep(2000) }
            try? FileManager.default.removeItem(atPath: client.output)
        }.start()
    }
}
