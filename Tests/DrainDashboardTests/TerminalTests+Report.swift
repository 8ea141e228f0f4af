import DrainDashboard
import DrainTestSupport
import Foundation
import Testing

/// `top`'s end banner links the drain to its timeline in the journal's history.
@Suite("top links to the drain's timeline", .serialized, .timeLimit(.minutes(5)))
struct TerminalReportLinkTests {
    @Test("the end banner names the drain's ID, and drainctl report ID draws that drain from the demo's journal")
    func bannerNamesTheDrain() async throws {
        let sandbox = try Sandbox()
        // Jobs ten times slower than usual outlast the 1 s grace: a forced drain with cut jobs.
        let demo = try await Demo(["--rate", "10", "--concurrency", "4", "--duration-scale", "10"], in: sandbox)
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top",
            environment: ["DRAINCTL_RUN_DIR": sandbox.runDir, "SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        _ = try await tmux.waitUntil("RUNNING and the in-flight count") { screen in
            screen.contains("RUNNING") && screen.firstMatch(of: /In flight +[1-9][0-9]*\/4/) != nil ? screen : nil
        }
        let shutdown = try await runDrainctl(["shutdown", "--grace", "1", "--no-wait"], in: sandbox)
        #expect(shutdown.code == 0, "\(shutdown.output)")
        let id = try await tmux.waitUntil("the end banner naming the drain") { screen in
            screen.contains("STOPPED ")
                ? screen.firstMatch(of: /drainctl report ([0-9]+) for the timeline/).flatMap { Int($0.1) } : nil
        }
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(await tmux.capture().contains("drainctl top: drainctl report \(id) for the timeline"))

        let drawn = try await runDrainctl(
            ["report", String(id), "--journal", sandbox.root + "/demo.sqlite", "--width", "100"], in: sandbox)
        #expect(drawn.code == 0, "\(drawn.output)")
        #expect(drawn.output.hasPrefix("drain \(id) · demo pid \(demo.pid)"), "\(drawn.output)")
        let json = try await runDrainctl(
            ["report", String(id), "--journal", sandbox.root + "/demo.sqlite", "--json"], in: sandbox)
        #expect(json.output.contains("\"history_id\":\(id)"), "\(json.output)")
    }

    @Test("drainctl demo keeps its drain without a flag: its end banner names drain 1")
    func demoKeepsHistory() async throws {
        let sandbox = try Sandbox()
        let tmux = try await Tmux(Binaries.drainctl.path + " demo --grace 3", columns: 80, rows: 24, in: sandbox)
        try await tmux.waitFor("RUNNING")
        await tmux.send("s")
        try await tmux.waitFor("grace in seconds")
        await tmux.send("Enter")
        try await tmux.waitFor("with a 3s grace? y yes")
        await tmux.send("y")
        let stopped = try await tmux.waitUntil("the end banner naming the drain") { screen in
            screen.contains("STOPPED ") && screen.contains("for the timeline") ? screen : nil
        }
        #expect(stopped.contains("drainctl report 1 for the timeline"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
    }
}
