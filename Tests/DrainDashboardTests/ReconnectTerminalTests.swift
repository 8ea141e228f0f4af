import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A connection the service ends on purpose, the service still running.
///
/// A suite of its own beside ``TerminalTests``: its one test holds `top` stopped for as long as the service
/// takes to drop it, the longest wait of the terminal tests, which need not queue behind it.
@Suite("top connects again when the service drops it", .timeLimit(.minutes(5)))
struct ReconnectTerminalTests {
    /// `top` stopped (SIGSTOP) long enough for the service to drop it as a client that stopped reading:
    /// the service is alive, so top connects again instead of announcing CONNECTION LOST, and follows the
    /// drain to its end. Before, any end of the connection without a `stopped` event was the end.
    @Test("top, dropped by the service for falling behind, connects again and follows the drain to its banner")
    func reconnectsWhenDropped() async throws {
        let sandbox = try Sandbox()
        // Info: the service logs when it drops a client, which is the condition this test waits for.
        // Short jobs: the drain below must end well inside the test's minute, whatever the exports' long tail
        // draws (at scale 0.1 one export outlasted a 30 s grace on a loaded machine, and the test its limit).
        let demo = try await Demo(["--rate", "40", "--duration-scale", "0.02", "--log-level", "info"], in: sandbox)
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top",
            environment: ["DRAINCTL_RUN_DIR": sandbox.runDir, "SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        try await tmux.waitFor("RUNNING")
        let shell = try #require(Int32(await tmux.display("#{pane_pid}")))
        let top = try await eventuallyValue("top's pid") { Self.child(of: shell, named: "drainctl") }
        kill(top, SIGSTOP)
        // Whatever happens below, top must not stay stopped.
        defer { kill(top, SIGCONT) }
        let log = sandbox.root + "/demo.log"
        try await eventually("the service dropping top") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains(
                "dropping a client that stopped reading")
        }
        kill(top, SIGCONT)
        let screen = try await tmux.waitFor("reconnected to demo")
        #expect(!screen.contains("CONNECTION LOST"), "\(screen)")
        // A live subscription sees the drain end: a lost one would have kept its CONNECTION LOST banner.
        // Clean (0) or forced (1): which one is the workload's draw; that top follows the end is the test.
        let shutdown = try await runDrainctl(["shutdown", "--grace", "5"], in: sandbox)
        #expect(shutdown.code == 0 || shutdown.code == 1, "\(shutdown.output)")
        let banner = try await tmux.waitUntil("the end banner") {
            $0.firstMatch(of: /STOPPED (CLEAN|FORCED)/) != nil ? $0 : nil
        }
        #expect(!banner.contains("CONNECTION LOST"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        withExtendedLifetime(demo) {}
    }

    /// The child of `parent` whose command name is `name`, from /proc.
    static func child(of parent: Int32, named name: String) -> Int32? {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.first { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return stat[stat.index(after: open)..<close] == name && fields.count > 1 && Int32(fields[1]) == parent
        }
    }
}
