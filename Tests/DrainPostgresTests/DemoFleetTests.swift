import Drain
import DrainLocalPostgres
import DrainPostgres
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real drain-demo processes on one PostgreSQL: the fleet as an operator runs it.
@Suite("drain-demo fleet", .serialized, .timeLimit(.minutes(5)))
struct DemoFleetTests {
    /// A job of the demo's that runs for `ms` milliseconds at --duration-scale 1.
    static func demoJob(ms: Int) -> NewJob {
        NewJob(kind: "email.send", payload: Data("{\"ms\":\(ms),\"fail\":false}".utf8))
    }

    /// Three jobs of a minute each in the fleet's queue, from a producer whose journal service runs until
    /// the returned task is cancelled.
    static func queueMinuteJobs(_ fleet: Fleet) async throws -> ([JobID], Task<Void, any Error>) {
        let producer = try fleet.journal()
        let service = Task { try await producer.run() }
        do {
            _ = try await producer.recover()
            return (try await producer.append((0..<3).map { _ in demoJob(ms: 60_000) }), service)
        } catch {
            service.cancel()
            throw error
        }
    }

    @Test("a SIGKILLed drain-demo's running jobs are rescued by a peer once its lease has run out, not before")
    func sigkillRescue() async throws {
        let fleet = try await Fleet()
        let url = fleet.server.url(schema: fleet.schema) + "&lease=2&heartbeat=0.25"
        let (ids, service) = try await Self.queueMinuteJobs(fleet)
        defer { service.cancel() }

        let victim = try Demo("victim", url: url, arguments: ["--rate", "0", "--concurrency", "3"])
        try await eventually("the victim to run the three jobs") {
            try await fleet.count("state = '\(JobState.running)'") == 3
        }
        // The peer runs the demo's jobs a thousand times faster, so the rescued ones finish at once.
        let peer = try Demo("peer", url: url, arguments: ["--rate", "0", "--duration-scale", "0.001"])
        try await eventually("the peer to register") {
            try await fleet.value("SELECT count(*) FROM $s.workers WHERE name = 'peer'") == "1"
        }
        let clock = ContinuousClock()
        victim.signal(SIGKILL)
        let killedAt = clock.now
        #expect(try await victim.wait() == 128 + SIGKILL)
        try await eventually("the rescue") { try await fleet.count("rescues > 0") == 3 }
        let rescuedAfter = clock.now - killedAt
        // The victim's last heartbeat can be up to one heartbeat (0.25 s) before the kill.
        #expect(rescuedAfter >= .milliseconds(1_700), "rescued after \(rescuedAfter), before the 2 s lease ran out")
        // How soon after the lease a rescue comes (lease + one sweep) is measured by BENCHMARKS.md's "rescue after
        // SIGKILL", not bounded here: a loaded machine delays sweeps by seconds.
        try await eventually("the peer to finish them") {
            try await fleet.count("state = '\(JobState.done)'") == 3
        }
        let restarts = peer.recordLines.filter { $0.hasPrefix("start ") && $0.hasSuffix(" 2") }
        #expect(Set(restarts.map { $0.split(separator: " ")[1] }) == Set(ids.map { Substring("\($0)") }))
        peer.signal(SIGTERM)
        #expect(try await peer.wait() == 0)
    }

    @Test("a draining drain-demo writes its grace, progress and prediction to its row, and ls --postgres shows them")
    func drainingRow() async throws {
        let fleet = try await Fleet()
        let url = fleet.server.url(schema: fleet.schema) + "&heartbeat=0.25"
        let (_, service) = try await Self.queueMinuteJobs(fleet)
        defer { service.cancel() }
        let leaving = try Demo(
            "leaving", url: url, arguments: ["--rate", "0", "--concurrency", "3", "--grace", "20"])
        try await eventually("the three jobs running") {
            try await fleet.count("state = '\(JobState.running)'") == 3
        }
        // Running: the row is there, without a drain.
        try await eventually("the worker's row") {
            try await fleet.value("SELECT count(*) FROM $s.workers WHERE name = 'leaving'") == "1"
        }
        #expect(
            try await fleet.value("SELECT coalesce(grace_seconds::text, 'null') FROM $s.workers WHERE name = 'leaving'")
                == "null")
        leaving.signal(SIGTERM)
        try await eventually("the drain in the workers table") {
            try await fleet.value("SELECT coalesce(grace_seconds::text, '') FROM $s.workers WHERE name = 'leaving'")
                == "20"
        }
        #expect(try await fleet.value("SELECT drain_total FROM $s.workers WHERE name = 'leaving'") == "3")
        #expect(
            try await fleet.value("SELECT expected_misses IS NOT NULL FROM $s.workers WHERE name = 'leaving'") == "t")

        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ls-\(UUID().uuidString).json").path
        defer { unlink(output) }
        let ls = try ChildProcess(
            executable: Binaries.drainctl.path, arguments: ["ls", "--postgres", url, "--json"],
            environment: ProcessInfo.processInfo.environment, outputPath: output)
        #expect(await ls.wait(upTo: .seconds(20)) == 0)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "\(text)")
        let row = try #require(rows.first { $0["name"] as? String == "leaving" }, "\(text)")
        #expect(row["state"] as? String == "draining")
        #expect(row["grace_seconds"] as? Double == 20)
        #expect(row["drain_total"] as? Int == 3)
        let misses = try #require(row["expected_misses"] as? Double, "\(text)")
        #expect((0...3).contains(misses))
        if let p50 = row["eta_p50_seconds"] as? Double, let p90 = row["eta_p90_seconds"] as? Double {
            #expect(p50 <= p90, "\(text)")
        }
        leaving.signal(SIGKILL)
        _ = try await leaving.wait()
    }

    @Test("a short seeded drain-chaos fleet run loses no accepted job")
    func chaosSmoke() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-chaos-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let chaos = try ChildProcess(
            executable: Binaries.chaos.path,
            arguments: ["fleet", "--iterations", "1", "--seed", "7", "--quiet", "--demo", Binaries.demo.path],
            environment: ProcessInfo.processInfo.environment, outputPath: output.path)
        _ = await chaos.wait(upTo: .seconds(50))
        // SIGINT: the harness kills its drain-demos and stops its PostgreSQL before exiting.
        chaos.signal(SIGINT)
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(chaos.exitCode == 0, "\(text)")
        #expect(text.contains(" 0 lost, 0 claimed twice"), "\(text)")
        #expect(text.contains("PASSED"), "\(text)")
    }

    @Test(
        "a bad URL, a wrong password or a missing database: a clear message and exit 1",
        arguments: [
            ("mysql://u@h/d", "must start with postgres://"),
            ("postgres://postgres:wrong@127.0.0.1:PORT/postgres", "password authentication failed"),
            ("postgres://postgres:PASSWORD@127.0.0.1:PORT/missing_db", "database \"missing_db\" does not exist"),
            ("postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres?lease=soon", "lease must be a number"),
        ])
    func badConnection(url: String, message: String) async throws {
        let server = try await LocalPostgres.shared()
        let url = url.replacingOccurrences(of: "PORT", with: "\(server.port)")
            .replacingOccurrences(of: "PASSWORD", with: server.password)
        let demo = try Demo("bad", url: "", arguments: ["--rate", "0"], environment: ["DRAIN_POSTGRES_URL": url])
        #expect(try await demo.wait() == 1)
        #expect(demo.output.contains(message), "\(demo.output)")
        #expect(!demo.output.contains(server.password), "the password stays out of messages")
    }
}
