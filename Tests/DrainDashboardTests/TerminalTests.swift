import DrainClient
import DrainDashboard
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl top` and `drainctl demo` in a real terminal: a private tmux server per test, the real
/// binaries, a live `drain-demo`. Serialized: each test runs three processes on a small machine, and
/// timing assertions (a countdown that moves) need the CPU.
@Suite("top in a real terminal", .serialized, .timeLimit(.minutes(5)))
struct TerminalTests {
    /// The seconds left shown on the deadline row, if it shows any.
    static func secondsLeft(_ screen: String) -> Double? {
        guard let row = screen.split(separator: "\n").first(where: { $0.contains("Deadline") }),
            let match = row.firstMatch(of: /([0-9]+\.[0-9])s left/)
        else { return nil }
        return Double(match.1)
    }

    /// The pane's rows (capture-pane ends the last one with a newline too).
    static func rows(_ screen: String) -> [Substring] {
        var lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    // MARK: - A drain, seen from top

    @Test(
        "top shows RUNNING, follows a drain started by another drainctl to the banner, redraws on resize, and q restores the terminal"
    )
    func followsADrain() async throws {
        let sandbox = try Sandbox()
        // Jobs 30 times slower than usual outlast the 6 s grace, so the drain cannot end before the
        // countdown has been seen moving.
        let demo = try await Demo(
            ["--rate", "10", "--concurrency", "8", "--duration-scale", "30", "--cancel-window", "0.5"], in: sandbox)
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top",
            environment: ["DRAINCTL_RUN_DIR": sandbox.runDir, "SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        // The header can show RUNNING (from the hello) one frame before the first snapshot fills the counters.
        let running = try await tmux.waitUntil("RUNNING and the in-flight count") { screen in
            screen.contains("RUNNING") && screen.firstMatch(of: /In flight +[0-9]+\/8/) != nil ? screen : nil
        }
        #expect(running.contains("pid \(demo.pid)"))
        // The title is written after the screen's flush, in a write of its own.
        try await eventually("the pane's title") { await tmux.display("#{pane_title}").contains("demo RUNNING") }

        let shutdown = try await runDrainctl(["shutdown", "--grace", "6", "--no-wait"], in: sandbox)
        #expect(shutdown.code == 0, "\(shutdown.output)")
        let first = try await tmux.waitUntil("a countdown while DRAINING") { screen in
            screen.contains("DRAINING") ? Self.secondsLeft(screen) : nil
        }
        try await eventually("the pane's title while draining") {
            await tmux.display("#{pane_title}").contains("DRAINING")
        }
        // The countdown moves on its own: wait for a lower figure rather than sleep and compare.
        let later = try await tmux.waitUntil("a later countdown") { screen in
            Self.secondsLeft(screen).flatMap { $0 < first ? $0 : nil }
        }
        #expect(later < first, "the countdown did not move: \(first) then \(later)")

        // A capture can catch the banner half drawn: wait for all of it.
        let stopped = try await tmux.waitUntil("the end banner") { screen in
            screen.contains("STOPPED ") && screen.contains("drained in") && screen.contains("requeued") ? screen : nil
        }
        #expect(stopped.contains("drained in"))
        #expect(stopped.contains("requeued"))

        await tmux.resize(columns: 70, rows: 20)
        let narrow = try await tmux.waitUntil("a 70-column redraw") { screen in
            let lines = Self.rows(screen)
            return screen.contains("STOPPED ") && lines.count <= 20 && lines.allSatisfy { $0.count <= 70 }
                && screen.contains("─ Events") && screen.contains("q quit") ? screen : nil
        }
        #expect(narrow.contains("q quit"))
        await tmux.resize(columns: 40, rows: 10)
        try await tmux.waitFor("Terminal too small")
        await tmux.resize(columns: 100, rows: 30)
        try await tmux.waitFor("STOPPED ")

        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(await tmux.capture().contains("drainctl top: demo (pid \(demo.pid)) stopped"))
    }

    @Test("s asks the grace and confirms, + moves the deadline, and a second s ends the drain early")
    func keysDrive() async throws {
        let sandbox = try Sandbox()
        // Slow jobs: the drain must still run when + arrives.
        let demo = try await Demo(["--rate", "5", "--duration-scale", "30", "--cancel-window", "0.5"], in: sandbox)
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top", environment: ["DRAINCTL_RUN_DIR": sandbox.runDir], in: sandbox)
        try await tmux.waitFor("RUNNING")
        await tmux.send("s")
        try await tmux.waitFor("grace in seconds")
        await tmux.send("20", "Enter")
        try await tmux.waitFor("Drain demo (pid \(demo.pid)) with a 20s grace?")
        await tmux.send("y")
        let before = try await tmux.waitUntil("DRAINING with 20 s of grace") { screen in
            screen.contains("grace 20s") ? Self.secondsLeft(screen) : nil
        }
        await tmux.send("+")
        let after = try await tmux.waitUntil("the deadline 10 s later") { screen in
            Self.secondsLeft(screen).flatMap { $0 > before + 5 ? $0 : nil }
        }
        #expect(after <= before + 10.5)
        await tmux.send("s")
        try await tmux.waitFor("grace in seconds")
        await tmux.send("0", "Enter")
        try await tmux.waitFor("Move the deadline of demo")
        await tmux.send("y")
        try await tmux.waitFor("STOPPED ")
        #expect(await tmux.capture().contains("(drainctl top)"), "the drain's cause names drainctl top")
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
    }

    // MARK: - Endings

    @Test("SIGKILL of the service gives the connection-lost banner, and top keeps running until q")
    func serviceKilled() async throws {
        let sandbox = try Sandbox()
        let demo = try await Demo(["--rate", "10", "--duration-scale", "0.1"], in: sandbox)
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top", environment: ["DRAINCTL_RUN_DIR": sandbox.runDir], in: sandbox)
        try await tmux.waitFor("RUNNING")
        demo.child.signal(SIGKILL)
        let lost = try await tmux.waitFor("CONNECTION LOST")
        #expect(!lost.contains("EXIT="))
        #expect(!lost.contains("STOPPED "))
        // Still running and still answering keys after the loss: its help opens (a sleep could only show
        // that it had not exited yet).
        await tmux.send("?")
        let help = try await tmux.waitFor("start a shutdown: asks the grace")
        #expect(!help.contains("EXIT="), "top must not exit on its own")
        await tmux.send("?")
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(await tmux.capture().contains("lost the connection to demo (pid \(demo.pid))"))
    }

    enum Ending: String, CaseIterable, Sendable {
        case sigterm
        case sighup
        case controlC
    }

    @Test(
        "SIGTERM, SIGHUP and Ctrl-C restore the terminal and exit 143, 129 and 130; NO_COLOR leaves out colours",
        arguments: Ending.allCases)
    func signalsRestore(ending: Ending) async throws {
        let sandbox = try Sandbox()
        let demo = try await Demo(["--rate", "5", "--duration-scale", "0.1"], in: sandbox)
        let pidFile = sandbox.root + "/top.pid"
        // The shell writes its pid and then becomes drainctl, so the test knows whom to signal.
        let tmux = try await Tmux(
            "sh -c 'echo $$ > \(pidFile); exec \(Binaries.drainctl.path) top'",
            environment: ["DRAINCTL_RUN_DIR": sandbox.runDir, "NO_COLOR": "1"], in: sandbox
        )
        try await tmux.waitFor("RUNNING")
        let colours = await tmux.capture(escapes: true)
        #expect(
            colours.firstMatch(of: /\u{1B}\[[0-9;]*3[1-7]m/) == nil && !colours.contains(";3"),
            "NO_COLOR, but colours in:\n\(colours)")
        switch ending {
        case .sigterm, .sighup:
            let pid = try #require(
                Int32(
                    (try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(
                        in: .whitespacesAndNewlines)))
            // SIGHUP as when the terminal's connection drops but the pane (and its shell) lives on, so
            // the shell can still report how the terminal was left.
            let signo = ending == .sigterm ? SIGTERM : SIGHUP
            kill(pid, signo)
            try await tmux.expectRestored(exitCode: 128 + signo)
        case .controlC:
            await tmux.send("C-c")
            try await tmux.expectRestored(exitCode: 130)
        }
        #expect(demo.child.exitCode == nil, "ending top must leave the service alone")
    }

    @Test(
        "a socket that does not speak the protocol ends top with exit 2, a message quoting it, and a sane terminal",
        arguments: FakeServer.Answer.allCases)
    func protocolViolation(answer: FakeServer.Answer) async throws {
        let sandbox = try Sandbox()
        let path = sandbox.root + "/impostor.4242.sock"
        let server = try FakeServer(path: path, answer: answer)
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top --socket " + path,
            environment: ["DRAINCTL_RUN_DIR": sandbox.runDir, "SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        try await tmux.expectRestored(exitCode: 2)
        let pane = await tmux.capture()
        #expect(pane.contains("drainctl: top cannot watch \(path): it sent a line that is not protocol v1"), "\(pane)")
        switch answer {
        case .garbage: #expect(pane.contains("“HTTP/1.1 400 Bad Request?”"), "\(pane)")
        case .badSnapshot: #expect(pane.contains("{\"v\":1,\"type\":\"snapshot\""), "\(pane)")
        }
        withExtendedLifetime(server) {}
    }

    // MARK: - Several processes

    @Test("a new process is offered, a attaches it, tab goes back, p lists both with their phases")
    func severalProcesses() async throws {
        let sandbox = try Sandbox()
        let first = try await Demo(["--rate", "2", "--duration-scale", "0.1"], in: sandbox, name: "alpha")
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top", environment: ["DRAINCTL_RUN_DIR": sandbox.runDir], in: sandbox)
        try await tmux.waitFor("pid \(first.pid)")
        let second = try await Demo(["--rate", "2", "--duration-scale", "0.1"], in: sandbox, name: "beta")
        try await tmux.waitFor("NEW PROCESS")
        await tmux.send("a")
        try await tmux.waitUntil("beta attached") {
            $0.contains(" beta ") && $0.contains("pid \(second.pid)") && $0.contains("RUNNING") ? true : nil
        }
        await tmux.send("Tab")
        try await tmux.waitUntil("alpha again") {
            $0.contains(" alpha ") && $0.contains("pid \(first.pid)") && $0.contains("RUNNING") ? true : nil
        }
        await tmux.send("p")
        let list = try await tmux.waitUntil("both in the list with a phase") { screen in
            screen.contains("PROCESSES") && screen.components(separatedBy: "RUNNING").count >= 4 ? screen : nil
        }
        #expect(list.contains("\(second.pid)"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
    }

    // MARK: - demo and manners

    @Test("drainctl demo at 80×24: fits the screen, s drains it to a banner, q stops the demo service too")
    func demoCommand() async throws {
        let sandbox = try Sandbox()
        let tmux = try await Tmux(Binaries.drainctl.path + " demo --grace 3", columns: 80, rows: 24, in: sandbox)
        let screen = try await tmux.waitFor("RUNNING")
        let lines = Self.rows(screen)
        #expect(lines.count <= 24 && lines.allSatisfy { $0.count <= 80 })
        #expect(lines.contains { $0.contains("q quit") && $0.contains("? help") })
        let pid = try #require(screen.firstMatch(of: /pid ([0-9]+)/).flatMap { Int32($0.1) })
        await tmux.send("s")
        try await tmux.waitFor("grace in seconds")
        await tmux.send("Enter")
        try await tmux.waitFor("with a 3s grace? y yes")
        await tmux.send("y")
        // A young demo may have only short jobs in flight: the drain can end before a frame shows DRAINING.
        let stopped = try await tmux.waitUntil("the end banner") { screen in
            screen.contains("STOPPED ") && screen.contains("drained in") ? screen : nil
        }
        #expect(stopped.contains("demo (pid \(pid)) drained in"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(await tmux.capture().contains("drainctl demo: drain-demo (pid \(pid)) exited"))
        #expect(kill(pid, 0) != 0, "the demo service still runs")
    }

    @Test("closing the terminal of drainctl demo (SIGHUP) still stops the demo service")
    func demoHangUp() async throws {
        let sandbox = try Sandbox()
        let tmux = try await Tmux(Binaries.drainctl.path + " demo", columns: 100, rows: 30, in: sandbox)
        let screen = try await tmux.waitFor("RUNNING")
        let pid = try #require(screen.firstMatch(of: /pid ([0-9]+)/).flatMap { Int32($0.1) })
        await tmux.killServer()
        try await eventuallyValue("drain-demo (pid \(pid)) gone") {
            kill(pid, 0) != 0 ? true : nil
        }
    }

    @Test("a SIGKILLed drainctl demo does not leave its drain-demo running: the child drains when its parent is gone")
    func demoKilled() async throws {
        let sandbox = try Sandbox()
        let tmux = try await Tmux(Binaries.drainctl.path + " demo --grace 2", columns: 100, rows: 30, in: sandbox)
        let screen = try await tmux.waitFor("RUNNING")
        let pid = try #require(screen.firstMatch(of: /pid ([0-9]+)/).flatMap { Int32($0.1) })
        let launcher = try #require(Self.parent(of: pid))
        #expect(Self.command(of: launcher) == "drainctl", "drain-demo's parent is \(Self.command(of: launcher) ?? "?")")
        // SIGKILL: no handler of drainctl runs, so only the child's own watch can end it.
        kill(launcher, SIGKILL)
        try await eventuallyValue("drain-demo (pid \(pid)) gone") {
            Self.isRunning(pid) ? nil : true
        }
    }

    /// Fields of /proc/<pid>/stat after the command name (which may hold spaces): state, ppid, ….
    private static func stat(_ pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    private static func parent(of pid: Int32) -> Int32? { stat(pid).flatMap { $0.count > 1 ? Int32($0[1]) : nil } }

    private static func command(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    /// Running, not merely a zombie waiting for a reaper.
    private static func isRunning(_ pid: Int32) -> Bool {
        guard let state = stat(pid)?.first else { return false }
        return state != "Z" && state != "X"
    }

    @Test("without a terminal, top and demo exit 3 and point at status and events", arguments: ["top", "demo"])
    func notATerminal(command: String) async throws {
        let sandbox = try Sandbox()
        let result = try await runDrainctl([command], in: sandbox)
        #expect(result.code == 3)
        #expect(
            result.output.contains("drainctl status") && result.output.contains("drainctl events"), "\(result.output)")
    }
}
