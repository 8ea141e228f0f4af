import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drain-chaos`: a short seeded run of the real harness, and its verifier fed records that must fail.
@Suite("drain-chaos harness and verifier", .timeLimit(.minutes(5)))
struct ChaosTests {
    static var chaos: URL { Binaries.directory.appendingPathComponent("drain-chaos") }

    /// Runs `drain-chaos` to the end and returns its exit code, stdout and stderr.
    func chaos(_ arguments: [String], in sandbox: Sandbox, timeout: Duration = defaultWaitTimeout) async throws
        -> (code: Int32, out: String, err: String)
    {
        let child = try Spawned(Self.chaos, arguments, environment: sandbox.environment, in: sandbox)
        defer { killLeftoverDemos(in: sandbox.runDir) }
        let code = try await child.wait(timeout: timeout)
        return (code, child.stdout, child.stderr)
    }

    /// Kills, by pid, any `drain-demo` whose socket is still in `runDir` (the harness removes the sockets
    /// of the demos it reaped), so a harness that died cannot leave a demo running.
    func killLeftoverDemos(in runDir: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDir)) ?? []
        for name in names where name.hasSuffix(".sock") {
            let parts = name.split(separator: ".")
            guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]) else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            if command.contains("drain-demo") { kill(pid, SIGKILL) }
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func record(_ lines: [String], in sandbox: Sandbox) throws -> String {
        try (lines.joined(separator: "\n") + "\n").write(toFile: sandbox.record, atomically: true, encoding: .utf8)
        return sandbox.record
    }

    // MARK: - The harness against the real demo

    @Test("ten seeded iterations of chaos lose nothing, and the report's counts add up")
    func seededRun() async throws {
        let sandbox = try Sandbox()
        let run = try await chaos(
            [
                "--iterations", "10", "--seed", "6", "--json", "--quiet", "--demo", Binaries.demo.path,
                "--run-dir", sandbox.runDir, "--work-dir", sandbox.root.appendingPathComponent("work").path,
            ],
            in: sandbox
        )
        #expect(run.code == 0, "stderr: \(run.err)\nstdout: \(run.out)")
        let report = try json(run.out)
        let jobs = try #require(report["jobs"] as? [String: Any])
        func count(_ key: String) -> Int { jobs[key] as? Int ?? -1 }
        #expect(report["iterations"] as? Int == 10)
        #expect(report["passed"] as? Bool == true)
        #expect(count("lost") == 0, "problems: \(report["problems"] ?? "")")
        #expect(count("duplicated_unexplained") == 0)
        #expect(report["problem_count"] as? Int == 0)
        let kills = try #require(report["kills"] as? [String: Int])
        #expect(kills.values.reduce(0, +) == 10)
        #expect(Set(kills.keys) == ["sigterm", "double_sigterm", "sigkill", "socket_shutdown", "moved_deadline"])
        let outcomes = try #require(report["outcomes"] as? [String: Int])
        #expect(outcomes.values.reduce(0, +) == 10)
        #expect(outcomes["killed"] == kills["sigkill"], "only SIGKILL may kill the demo")
        #expect(outcomes["crashed"] == 0)
        // Every job seen ends one way: finished, failed by its handler, or lost.
        #expect(count("accepted") > 0)
        #expect(count("accepted") + count("unacknowledged") == count("completed") + count("failed") + count("lost"))
        #expect(count("duplicated") == count("duplicated_allowed") + count("duplicated_unexplained"))
        // Each extra run follows exactly one forced or killed run.
        #expect(count("runs") >= count("completed") + count("failed") + count("duplicated"))
        #expect(count("requeued") + count("recovered") >= count("duplicated_allowed"))
    }

    @Test("no drain-demo where it is told to look: exit 2 naming the path")
    func missingDemo() async throws {
        let sandbox = try Sandbox()
        let run = try await chaos(["--iterations", "1", "--demo", "/nonexistent/drain-demo"], in: sandbox)
        #expect(run.code == 2)
        #expect(run.err.contains("/nonexistent/drain-demo"))
    }

    @Test("bad arguments get a clear message and exit 64")
    func badArguments() async throws {
        let sandbox = try Sandbox()
        let run = try await chaos(["--iterations", "0"], in: sandbox)
        #expect(run.code == 64)
        #expect(run.err.contains("--iterations"))
    }

    // MARK: - The verifier can fail

    @Test("a job accepted but never run, and a job rerun after finishing in a clean drain, fail the verifier")
    func verifierCatchesLossAndDuplicate() async throws {
        let sandbox = try Sandbox()
        let path = try record(
            [
                "process 1 load", "accepted 1", "accepted 2", "accepted 3", "start 1 1", "done 1", "start 2 1",
                "done 2", "exit 1 clean",
                "process 2 final", "start 2 2", "done 2", "exit 2 clean",
            ],
            in: sandbox
        )
        let run = try await chaos(["verify", "--record", path, "--json"], in: sandbox)
        #expect(run.code == 1, "stdout: \(run.out) stderr: \(run.err)")
        let verdict = try json(run.out)
        #expect(verdict["passed"] as? Bool == false)
        #expect(verdict["lost"] as? Int == 1)
        #expect(verdict["duplicated_unexplained"] as? Int == 1)
        let findings = try #require(verdict["findings"] as? [[String: Any]])
        #expect(findings.contains { $0["kind"] as? String == "lost" && $0["job"] as? Int == 3 })
        #expect(findings.contains { $0["kind"] as? String == "unexplained_duplicate" && $0["job"] as? Int == 2 })
    }

    @Test("reruns after a forced drain and after SIGKILL are allowed, and the counts say which")
    func verifierAllowsForcedAndKilledReruns() async throws {
        let sandbox = try Sandbox()
        let path = try record(
            [
                "process 1 load", "accepted 1", "accepted 2", "start 1 1", "start 2 1", "done 2", "exit 1 forced",
                "process 2 load", "start 1 2", "accepted 3", "start 3 1", "exit 2 killed",
                "process 3 final", "start 3 2", "done 3", "start 1 3", "failed 1", "exit 3 clean",
            ],
            in: sandbox
        )
        let run = try await chaos(["verify", "--record", path, "--json"], in: sandbox)
        #expect(run.code == 0, "stdout: \(run.out) stderr: \(run.err)")
        let verdict = try json(run.out)
        #expect(verdict["passed"] as? Bool == true)
        #expect(verdict["accepted"] as? Int == 3)
        #expect(verdict["completed"] as? Int == 2)
        #expect(verdict["failed"] as? Int == 1)
        #expect(verdict["requeued"] as? Int == 1)
        #expect(verdict["recovered"] as? Int == 2)
        #expect(verdict["duplicated_allowed"] as? Int == 2)
        #expect(verdict["lost"] as? Int == 0)
    }

    @Test("a run left unfinished by a clean drain is a finding even when it ran again")
    func verifierCatchesInterruptedCleanDrain() async throws {
        let sandbox = try Sandbox()
        let path = try record(
            [
                "process 1 load", "accepted 1", "start 1 1", "exit 1 clean",
                "process 2 final", "start 1 2", "done 1", "exit 2 clean",
            ],
            in: sandbox
        )
        let run = try await chaos(["verify", "--record", path], in: sandbox)
        #expect(run.code == 1)
        #expect(run.out.contains("interrupted_in_clean_drain"))
        #expect(run.out.contains("unexplained_duplicate"))
    }

    @Test("a record that does not end with a clean final drain cannot pass")
    func verifierNeedsCleanFinalDrain() async throws {
        let sandbox = try Sandbox()
        let path = try record(["process 1 load", "accepted 1", "start 1 1", "exit 1 killed"], in: sandbox)
        let run = try await chaos(["verify", "--record", path], in: sandbox)
        #expect(run.code == 1)
        #expect(run.out.contains("incomplete"))
    }

    @Test("an unreadable or malformed record: exit 2 naming the file or the line")
    func verifierRejectsBadRecords() async throws {
        let sandbox = try Sandbox()
        let missing = try await chaos(["verify", "--record", "/nonexistent/record.log"], in: sandbox)
        #expect(missing.code == 2)
        #expect(missing.err.contains("/nonexistent/record.log"))
        let path = try record(["process 1 load", "accepted one"], in: sandbox)
        let malformed = try await chaos(["verify", "--record", path], in: sandbox)
        #expect(malformed.code == 2)
        #expect(malformed.err.contains("line 2"))
    }
}
