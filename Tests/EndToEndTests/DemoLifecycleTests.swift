import Drain
import DrainClient
import DrainControl
import DrainSQLite
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drain-demo` as a real process: signals, forced drains, crashes and restarts on the same journal.
@Suite("drain-demo lifecycle", .timeLimit(.minutes(5)))
struct DemoLifecycleTests {
    func status(_ demo: Spawned, in sandbox: Sandbox, name: String = "demo") async throws -> PoolSnapshot {
        try await ControlClient.withConnection(path: "\(sandbox.runDir)/\(name).\(demo.pid).sock") {
            try await $0.status()
        }
    }

    @Test("SIGTERM under load with short jobs: exit 0, a clean report, nothing left running in the journal")
    func cleanDrainUnderLoad() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "60", "--duration-scale", "0.02", "--concurrency", "8"], in: sandbox)
        try await eventually("jobs completing") { try await status(demo, in: sandbox).completed >= 10 }
        demo.signal(SIGTERM)
        #expect(try await demo.wait() == 0, "stderr: \(demo.stderr)")
        let report = try sandbox.reportJSON()
        #expect(report["outcome"] as? String == "clean")
        for key in ["drain_seconds", "completed", "cancelled", "requeued", "recovered", "jobs"] {
            #expect(report[key] != nil, "report lacks \(key)")
        }
        #expect((report["completed"] as? Int ?? 0) >= 10)
        let counts = try await SQLiteJournal(path: sandbox.journal).counts()
        #expect(counts.running == 0)
    }

    @Test("long jobs with --grace 1: the forced exit code, requeued jobs in the report, and they run after a restart")
    func forcedDrainThenRestart() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(
            // Scale 200: even a short email then takes ten seconds or more, so none of the four can end
            // inside the grace, however late a loaded machine delivers the SIGTERM (at 20 one sometimes did).
            [
                "--rate", "30", "--duration-scale", "200", "--grace", "1", "--cancel-window", "0.5", "--concurrency",
                "4",
            ],
            in: sandbox
        )
        try await eventually("four jobs in flight") { try await status(demo, in: sandbox).inFlightJobs == 4 }
        demo.signal(SIGTERM)
        #expect(try await demo.wait() == 3, "stderr: \(demo.stderr)")
        let report = try sandbox.reportJSON()
        #expect(report["outcome"] as? String == "forced")
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        #expect(jobs.count == 4)
        #expect(report["requeued"] as? Int == 4)
        let requeuedIDs = Set(jobs.compactMap { $0["id"] as? Int })
        #expect(jobs.allSatisfy { $0["requeued"] as? Bool == true && ($0["ran_seconds"] as? Double ?? 0) >= 1 })
        #expect(try await SQLiteJournal(path: sandbox.journal).counts().running == 0)

        // Restart on the same journal, jobs now 1000× faster: the requeued ones run to the end.
        let again = try await startDemo(["--rate", "0", "--duration-scale", "0.001"], in: sandbox)
        try await eventually("requeued jobs done") {
            let s = try await status(again, in: sandbox)
            // Until the `started` event the pool has not read the journal, and counts nothing queued yet.
            return s.recentEvents.contains { $0.kind == .started } && s.queued == 0 && s.inFlight == 0
        }
        again.signal(SIGTERM)
        #expect(try await again.wait() == 0)
        let runs = try sandbox.recordedRuns()
        for id in requeuedIDs {
            #expect(runs.starts[id] == 2, "job \(id) should have started twice")
            #expect(runs.done.contains(id), "job \(id) should have finished after the restart")
        }
    }

    @Test("SIGKILL mid-run: the next start recovers the running jobs and runs them")
    func crashRecovery() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "30", "--duration-scale", "20", "--concurrency", "3"], in: sandbox)
        try await eventually("three jobs in flight") { try await status(demo, in: sandbox).inFlightJobs == 3 }
        let running = try await status(demo, in: sandbox).oldestJobs.map { Int($0.id) }
        demo.signal(SIGKILL)
        #expect(try await demo.wait() == 128 + SIGKILL)
        #expect(try await SQLiteJournal(path: sandbox.journal).counts().running == 3)

        let again = try await startDemo(["--rate", "0", "--duration-scale", "0.001"], in: sandbox)
        // The socket answers before the pool has opened the journal: wait for the recovery.
        try await eventually("recovery") { try await status(again, in: sandbox).recovered == 3 }
        try await eventually("recovered jobs done") {
            let s = try await status(again, in: sandbox)
            // Until the `started` event the pool has not read the journal, and counts nothing queued yet.
            return s.recentEvents.contains { $0.kind == .started } && s.queued == 0 && s.inFlight == 0
        }
        again.signal(SIGTERM)
        #expect(try await again.wait() == 0)
        #expect(try sandbox.reportJSON()["recovered"] as? Int == 3)
        let runs = try sandbox.recordedRuns()
        for id in running { #expect(runs.done.contains(id), "recovered job \(id) did not finish") }
    }

    @Test("bad flags get a clear message and exit 64")
    func badFlags() async throws {
        let sandbox = try Sandbox()
        let demo = try Spawned(Binaries.demo, ["--concurrency", "0"], environment: sandbox.environment, in: sandbox)
        #expect(try await demo.wait() == 64)
        #expect(demo.stderr.contains("--concurrency must be at least 1"))
        let hold = try Spawned(Binaries.demo, ["--hold=-5"], environment: sandbox.environment, in: sandbox)
        #expect(try await hold.wait() == 64)
        #expect(hold.stderr.contains("--hold must be 0 or more"), "\(hold.stderr)")
    }

    @Test("an unusable journal path fails fast with exit 1 and names the path")
    func badJournal() async throws {
        let sandbox = try Sandbox()
        let demo = try Spawned(
            Binaries.demo, ["--journal", "/nonexistent/dir/j.sqlite"], environment: sandbox.environment, in: sandbox
        )
        #expect(try await demo.wait() == 1)
        #expect(demo.stderr.contains("/nonexistent/dir/j.sqlite"))
    }
}
