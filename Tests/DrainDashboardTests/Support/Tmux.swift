import DrainDashboard
import DrainSpawn
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
    ) throws {
        self.sandbox = sandbox
        var arguments = ["new-session", "-d", "-x", "\(columns)", "-y", "\(rows)", "-e", "LANG=C.UTF-8"]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        arguments.append("\(command); echo EXIT=$?; stty -a; sleep 120")
        _ = try run(arguments)
    }

    /// Runs a tmux command on this server and returns its output.
    ///
    /// Spawned with `posix_spawn` (an empty signal mask) and output to a file: the tmux server forked by
    /// the first command inherits what the client had, and `Foundation.Process` never saw that client
    /// end.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let output = sandbox.root + "/tmux-\(UUID().uuidString.prefix(6)).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let client = try ChildProcess(
            executable: "/usr/bin/tmux", arguments: ["-L", name, "-f", "/dev/null"] + arguments,
            environment: sandbox.environment, outputPath: output
        )
        let deadline = ContinuousClock.now + .seconds(10)
        while client.exitCode == nil, ContinuousClock.now < deadline { usleep(2000) }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    /// The pane's text now, with SGR sequences when `escapes` is true.
    func capture(escapes: Bool = false) -> String {
        (try? run(["capture-pane", "-p", "-J"] + (escapes ? ["-e"] : []))) ?? ""
    }

    /// Waits until the pane shows `fragment`; returns the whole pane.
    @discardableResult
    func waitFor(
        _ fragment: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        do {
            return try await poll("“\(fragment)” in the pane", timeout: timeout, sourceLocation: sourceLocation) {
                let screen = capture()
                return screen.contains(fragment) ? screen : nil
            }
        } catch {
            Issue.record("the pane when the wait ended:\n\(capture())", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// Waits until `match` finds something in the pane.
    @discardableResult
    func waitUntil<T>(
        _ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ match: (String) -> T?
    ) async throws -> T {
        do {
            return try await poll(what, timeout: timeout, sourceLocation: sourceLocation) { match(capture()) }
        } catch {
            // The screen that did not match is what explains a failure.
            Issue.record("the pane when the wait ended:\n\(capture())", sourceLocation: sourceLocation)
            throw error
        }
    }

    func send(_ keys: String...) { _ = try? run(["send-keys"] + keys) }

    func resize(columns: Int, rows: Int) { _ = try? run(["resize-window", "-x", "\(columns)", "-y", "\(rows)"]) }

    /// A tmux format, like `#{alternate_on}`.
    func display(_ format: String) -> String {
        ((try? run(["display-message", "-p", format])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
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
        #expect(display("#{alternate_on} #{cursor_flag}") == "0 1", sourceLocation: sourceLocation)
    }

    /// Ends the server: its pane's processes get SIGHUP, as when a terminal window is closed.
    func killServer() { _ = try? run(["kill-server"]) }

    deinit { killServer() }
}
