import DrainTestSupport
import Foundation
import Testing

/// The grace planner from the command line: `status` shows it, `shutdown --grace auto` uses it.
@Suite("drainctl and the grace planner", .timeLimit(.minutes(5)))
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
        // The process planned it as its drain began (the drain's first event says so), and its plan is
        // a `deadline_changed` event a moment later, which drainctl quotes. The drain cannot stop before
        // its plan is made, however soon its short jobs end.
        let line = try #require(
            shutdown.err.split(separator: "\n").first { $0.contains("grace auto: ") }, "stderr: \(shutdown.err)")
        #expect(line.contains("(grace planned: "), "\(line)")
        #expect(shutdown.out.contains("grace planned, at most 7s"), "stdout: \(shutdown.out)")
        #expect(shutdown.out.contains("grace planned: "), "stdout: \(shutdown.out)")
        let report = try #require(
            shutdown.out.split(separator: "\n").last { $0.contains(" stopped ") }, "stdout: \(shutdown.out)")
        #expect(report.contains("clean") || report.contains("forced"))
        _ = try await demo.wait()
    }

    @Test("--grace auto on a process already draining plans from now within the cap, and --max-grace is checked")
    func autoWhileDraining() async throws {
        let sandbox = try Sandbox()
        // Scale 30: exports run for many minutes, so the planner wants more than any small cap.
        let demo = try await startDemo(["--rate", "20", "--duration-scale", "30"], in: sandbox)
        try await eventually("jobs in flight") {
            let s = try await drainctl(["status", "--json"], in: sandbox)
            return s.out.contains("\"in_flight_jobs\":") && !s.out.contains("\"in_flight_jobs\":0,")
        }
        let first = try await drainctl(["shutdown", "--grace", "600", "--no-wait"], in: sandbox)
        #expect(first.code == 0, "stderr: \(first.err)")
        // The reply's own snapshot carries the planned deadline: no later `status` races the 5 s drain.
        let auto = try await drainctl(
            ["shutdown", "--grace", "auto", "--max-grace", "5", "--no-wait", "--json"], in: sandbox)
        #expect(auto.code == 0, "stderr: \(auto.err)")
        #expect(auto.err.contains(", the cap ("), "stderr: \(auto.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(auto.out.utf8)) as? [String: Any])
        let left = try #require(object["seconds_left"] as? Double, "\(auto.out)")
        #expect(left <= 5, "the deadline stayed past the cap: \(left)s left")
        let bad = try await drainctl(["shutdown", "--grace", "auto", "--max-grace", "0"], in: sandbox)
        #expect(bad.code == 64)
        #expect(bad.err.contains("--max-grace"))
        // The planned deadline forces the drain within 5 s; the demo then exits on its own.
        _ = try await demo.wait()
    }

    /// A process built before planned graces answers `"grace":"auto"` with `bad_request` (its reply, byte
    /// for byte) and drains nothing: drainctl reads the plan from its status and sends that grace instead.
    @Test("a process too old to plan its own grace: drainctl plans from its status and says so")
    func olderProcess() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "20", "--duration-scale", "0.005"], in: sandbox)
        try await eventually("jobs have finished") {
            let s = try await drainctl(["status", "--json"], in: sandbox)
            return s.out.contains("\"completed\":") && !s.out.contains("\"completed\":0,")
        }
        // A real running snapshot, with its plan, for the old server to answer with.
        let snapshot = try await drainctl(["status", "--json"], in: sandbox).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.utf8)) as? [String: Any])
        let plan = try #require(object["plan"] as? [String: Any])
        let suggested = try #require(plan["suggested_grace_seconds"] as? Double)
        let path = "\(sandbox.runDir)/old.\(getpid()).sock"
        let server = try FakeServer(
            path: path,
            replies: [
                #"{"error":{"code":"bad_request","message":"field 'grace' has the wrong type"},"id":1,"ok":false,"type":"error","v":1}"#
                    + "\n",
                #"{"v":1,"id":2,"type":"result","ok":true,"snapshot":"# + snapshot + "}\n",
                #"{"v":1,"id":3,"type":"result","ok":true,"snapshot":"# + snapshot + "}\n",
            ])
        let shutdown = try await drainctl(
            ["shutdown", "--socket", path, "--grace", "auto", "--max-grace", "120", "--no-wait"], in: sandbox)
        #expect(shutdown.code == 0, "stderr: \(shutdown.err)")
        #expect(shutdown.err.contains("'s status (the planner's"), "stderr: \(shutdown.err)")
        let requests = server.requests
        #expect(requests.count == 3, "\(requests)")
        #expect(
            requests.first?.contains(#""grace":"auto""#) == true
                && requests.first?.contains(#""max_grace":120"#) == true)
        #expect(requests.dropFirst().first?.contains(#""op":"status""#) == true)
        let sent = max(1, suggested.rounded(.up))
        #expect(requests.last?.contains(#""grace":\#(Int(min(120, sent))),"#) == true, "\(requests)")
        // Two processes share the run directory now, so the demo is told by signal, not by `shutdown`.
        demo.signal(SIGTERM)
        _ = try await demo.wait()
    }
}
