import DrainTestSupport
import Foundation
import Testing

/// The grace planner from the command line: `status` shows it, `shutdown --grace auto` uses it.
@Suite("drainctl and the grace planner", .timeLimit(.minutes(2)))
struct PlannerCLITests {
    @Test("status shows what a drain started now would do, and shutdown --grace auto takes its grace, capped")
    func statusAndAuto() async throws {
        let sandbox = try Sandbox()
        // Scale 0.005: the longest export takes 3 s, so a drain with the planner's grace ends quickly.
        // Kept: a Spawned that goes away takes its process with it.
        let demo = try await startDemo(["--rate", "20", "--duration-scale", "0.005"], in: sandbox)
        try await eventually("jobs have finished") {
            let s = try await drainctl(["status", "--json"], in: sandbox)
            return s.out.contains("\"completed\":") && !s.out.contains("\"completed\":0,")
        }
        let status = try await drainctl(["status"], in: sandbox)
        #expect(status.code == 0)
        #expect(status.out.contains("planner: a 30s drain now: ETA"), "status: \(status.out)")
        let json = try await drainctl(["status", "--json"], in: sandbox)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let plan = try #require(object["plan"] as? [String: Any])
        #expect(plan["grace_seconds"] as? Double == 30)
        #expect(plan["expected_misses"] is Double)

        let shutdown = try await drainctl(["shutdown", "--grace", "auto", "--max-grace", "7"], in: sandbox)
        #expect(shutdown.code == 0 || shutdown.code == 1, "stderr: \(shutdown.err)")
        #expect(shutdown.err.contains("grace auto: "), "stderr: \(shutdown.err)")
        let chosen = try #require(
            shutdown.err.split(separator: "\n").first { $0.contains("grace auto: ") }?
                .split(separator: " ").dropFirst(3).first.flatMap { Int($0.dropLast()) })
        #expect(chosen >= 1 && chosen <= 7, "stderr: \(shutdown.err)")
        #expect(shutdown.out.contains("grace \(chosen)s"), "stdout: \(shutdown.out)")
        _ = try await demo.wait()
    }

    @Test("--grace auto on a process already draining says why it cannot, and --max-grace is checked")
    func autoRefused() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "20", "--duration-scale", "30"], in: sandbox)
        let first = try await drainctl(["shutdown", "--grace", "60", "--no-wait"], in: sandbox)
        #expect(first.code == 0, "stderr: \(first.err)")
        let auto = try await drainctl(["shutdown", "--grace", "auto", "--no-wait"], in: sandbox)
        #expect(auto.code == 4)
        #expect(auto.err.contains("--grace auto needs the planner"))
        let bad = try await drainctl(["shutdown", "--grace", "auto", "--max-grace", "0"], in: sandbox)
        #expect(bad.code == 64)
        #expect(bad.err.contains("--max-grace"))
        let force = try await drainctl(["shutdown", "--grace", "0", "--no-wait"], in: sandbox)
        #expect(force.code == 0)
        _ = try await demo.wait()
    }
}
