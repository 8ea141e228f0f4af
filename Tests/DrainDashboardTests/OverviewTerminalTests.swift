import DrainClient
import DrainDashboard
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The overview in a real terminal: several live `drain-demo`s in one run directory, `top` in a private
/// tmux server, drains started from another shell. Serialized within (each test runs four processes or
/// more), beside the other terminal suites, like ``FleetTerminalTests``.
@Suite("top's overview in a real terminal", .serialized, .timeLimit(.minutes(5)))
struct OverviewTerminalTests {
    /// The pane row of process `name` (pid `pid`).
    static func row(_ screen: String, _ name: String, _ pid: Int32) -> Substring? {
        screen.split(separator: "\n").first { $0.dropFirst().hasPrefix(name) && $0.contains(" \(pid) ") }
    }

    /// Three demos with slow jobs, so a 5 s grace cannot hold them and the countdowns are seen moving.
    func threeDemos(in sandbox: Sandbox) async throws -> [Demo] {
        var demos: [Demo] = []
        for name in ["alpha", "beta", "gamma"] {
            demos.append(
                try await Demo(
                    ["--rate", "8", "--duration-scale", "30", "--cancel-window", "0.3"], in: sandbox, name: name))
        }
        return demos
    }

    func top(in sandbox: Sandbox, columns: Int = 120, rows: Int = 40, prefix: String = "") async throws -> Tmux {
        try await Tmux(
            prefix + Binaries.drainctl.path + " top", columns: columns, rows: rows,
            environment: ["DRAINCTL_RUN_DIR": sandbox.runDir, "SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
    }

    @Test(
        "three processes give three rows; shutdown --all from another shell shows each DRAINING with a countdown, then its outcome"
    )
    func threeRowsDrainTogether() async throws {
        let sandbox = try Sandbox()
        let demos = try await threeDemos(in: sandbox)
        let names = ["alpha", "beta", "gamma"]
        let tmux = try await top(in: sandbox)
        try await tmux.waitUntil("three RUNNING rows") { screen in
            zip(names, demos).allSatisfy { Self.row(screen, $0, $1.pid)?.contains("RUNNING") == true } ? true : nil
        }
        #expect(await tmux.capture().contains("3 processes"))
        let shutdown = try ChildProcess(
            executable: Binaries.drainctl.path, arguments: ["shutdown", "--all", "--grace", "5"],
            environment: sandbox.environment, outputPath: sandbox.root + "/shutdown.out")
        let countdowns = try await tmux.waitUntil("three DRAINING rows with their countdowns") {
            screen -> [Double]? in
            let lefts = zip(names, demos).compactMap { name, demo -> Double? in
                guard let row = Self.row(screen, name, demo.pid), row.contains("DRAINING"),
                    let match = row.firstMatch(of: /([0-9]+\.[0-9])s/)
                else { return nil }
                return Double(match.1)
            }
            // The header on the same screen: a later capture may already count a process that ended clean.
            return lefts.count == 3 && screen.contains("3 draining") ? lefts : nil
        }
        #expect(countdowns.allSatisfy { $0 <= 5 && $0 > 0 }, "\(countdowns)")
        // The demo's durations are heavy-tailed: a process whose few jobs all happen to be short ends
        // clean inside the grace. Either way its row must say which, and the header must add up.
        let ended = try await tmux.waitUntil("three STOPPED rows with their outcome") { screen -> [String]? in
            let outcomes = zip(names, demos).compactMap { name, demo -> String? in
                guard let row = Self.row(screen, name, demo.pid), row.contains("STOPPED") else { return nil }
                return row.contains("forced in") ? "forced" : row.contains("clean in") ? "clean" : nil
            }
            return outcomes.count == 3 ? outcomes : nil
        }
        let forced = ended.filter { $0 == "forced" }.count
        let screen = await tmux.capture()
        if forced > 0 {
            #expect(screen.contains("\(forced) stopped forced"), "\(screen)")
            #expect(screen.contains("stopped forced after"), "the log shows each forced stop")
        }
        if forced < 3 { #expect(screen.contains("\(3 - forced) stopped clean"), "\(screen)") }
        #expect(await shutdown.wait(upTo: .seconds(10)) == (forced > 0 ? 1 : 0), "the worst outcome")
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        for ((name, demo), outcome) in zip(zip(names, demos), ended) {
            #expect(await tmux.capture().contains("drainctl top: \(name) (pid \(demo.pid)) stopped \(outcome)"))
        }
    }

    @Test(
        "Enter opens the selected process's full screen and Esc comes back; s drains the selected row; a new process gets a row"
    )
    func drillDownAndDrain() async throws {
        let sandbox = try Sandbox()
        let first = try await Demo(["--rate", "3", "--duration-scale", "30"], in: sandbox, name: "alpha")
        let second = try await Demo(["--rate", "3", "--duration-scale", "30"], in: sandbox, name: "beta")
        let tmux = try await top(in: sandbox)
        try await tmux.waitUntil("two rows") { screen in
            Self.row(screen, "beta", second.pid)?.contains("RUNNING") == true
                && Self.row(screen, "alpha", first.pid) != nil ? true : nil
        }
        await tmux.send("j")
        try await tmux.waitUntil("beta selected") {
            Self.row($0, "beta", second.pid)?.hasPrefix("▸") == true ? true : nil
        }
        await tmux.send("Enter")
        let detail = try await tmux.waitUntil("beta's full screen") { screen in
            screen.contains("Jobs in flight") && screen.contains(" beta ") && screen.contains("pid \(second.pid)")
                ? screen : nil
        }
        #expect(!detail.contains("Events of every process"))
        await tmux.send("Escape")
        try await tmux.waitFor("Events of every process")
        await tmux.send("s")
        try await tmux.waitFor("Shutdown beta (pid \(second.pid)): grace in seconds")
        await tmux.send("20", "Enter")
        try await tmux.waitFor("Drain beta (pid \(second.pid)) with a 20s grace?")
        await tmux.send("y")
        try await tmux.waitUntil("beta draining, alpha still running") { screen in
            Self.row(screen, "beta", second.pid)?.contains("DRAINING") == true
                && Self.row(screen, "alpha", first.pid)?.contains("RUNNING") == true ? true : nil
        }
        let third = try await Demo(["--rate", "1", "--duration-scale", "0.1"], in: sandbox, name: "gamma")
        try await tmux.waitUntil("gamma's new row") {
            Self.row($0, "gamma", third.pid)?.contains("RUNNING") == true ? true : nil
        }
        #expect(await tmux.capture().contains("3 processes"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
    }

    @Test("a process killed with SIGKILL shows as lost, and the others carry on")
    func killedIsLost() async throws {
        let sandbox = try Sandbox()
        let alive = try await Demo(["--rate", "3", "--duration-scale", "0.1"], in: sandbox, name: "alpha")
        let doomed = try await Demo(["--rate", "3", "--duration-scale", "0.1"], in: sandbox, name: "beta")
        let tmux = try await top(in: sandbox)
        try await tmux.waitUntil("beta running") {
            Self.row($0, "beta", doomed.pid)?.contains("RUNNING") == true ? true : nil
        }
        doomed.child.signal(SIGKILL)
        let screen = try await tmux.waitUntil("beta lost") { screen in
            Self.row(screen, "beta", doomed.pid)?.contains("LOST") == true ? screen : nil
        }
        #expect(Self.row(screen, "alpha", alive.pid)?.contains("RUNNING") == true)
        #expect(screen.contains("1 lost"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(await tmux.capture().contains("lost the connection to beta (pid \(doomed.pid))"))
    }

    // MARK: - Terminals

    @Test("TERM=dumb is refused with a clear message and exit 3, the terminal as it was")
    func dumbTerminal() async throws {
        let sandbox = try Sandbox()
        let demo = try await Demo(["--rate", "1"], in: sandbox, name: "alpha")
        let tmux = try await top(in: sandbox, prefix: "env TERM=dumb ")
        try await tmux.expectRestored(exitCode: 3)
        let pane = await tmux.capture()
        #expect(pane.contains("TERM=dumb cannot move the cursor"), "\(pane)")
        #expect(pane.contains("drainctl status --all"), "\(pane)")
        #expect(demo.child.exitCode == nil, "refusing the terminal leaves the service alone")
    }

    @Test("LANG=C draws the gauges, the sparkline and the frames in ASCII, on both screens")
    func asciiLocale() async throws {
        let sandbox = try Sandbox()
        let alpha = try await Demo(["--rate", "8", "--duration-scale", "30"], in: sandbox, name: "alpha")
        let beta = try await Demo(["--rate", "8", "--duration-scale", "30"], in: sandbox, name: "beta")
        let tmux = try await top(in: sandbox, prefix: "env LANG=C LC_ALL=C ")
        try await tmux.waitUntil("two rows") {
            Self.row($0, "beta", beta.pid)?.contains("RUNNING") == true ? true : nil
        }
        let shutdown = try await runDrainctl(
            ["shutdown", "--socket", alpha.socket, "--grace", "30", "--no-wait"], in: sandbox)
        #expect(shutdown.code == 0, "\(shutdown.output)")
        let overview = try await tmux.waitUntil("alpha's countdown bar in ASCII") { screen in
            Self.row(screen, "alpha", alpha.pid).flatMap { $0.firstMatch(of: /[#|]+\.+ +[0-9]+\.[0-9]s/) } != nil
                ? screen : nil
        }
        #expect(overview.allSatisfy { $0.isASCII }, "\(overview)")
        #expect(overview.contains("- Events of every process ---"))
        await tmux.send("Enter")
        let detail = try await tmux.waitUntil("alpha's full screen with an ASCII sparkline") { screen in
            screen.split(separator: "\n").first { $0.hasPrefix(" In flight ") && $0.contains("peak") }
                .flatMap { $0.firstMatch(of: /[_.:\-=+*#]{2,} peak/) } != nil ? screen : nil
        }
        #expect(detail.allSatisfy { $0.isASCII }, "\(detail)")
        #expect(detail.contains("- Jobs in flight, oldest first"))
        let deadline = detail.split(separator: "\n").first { $0.contains("Deadline") }
        #expect(deadline?.firstMatch(of: /#+[|#]*\.+/) != nil, "\(deadline ?? "")")
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
    }
}
