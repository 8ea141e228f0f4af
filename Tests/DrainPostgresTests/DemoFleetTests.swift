import Drain
import DrainPostgres
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real drain-demo processes on one PostgreSQL: the fleet as an operator runs it.
@Suite("drain-demo fleet", .serialized, .timeLimit(.minutes(1)))
struct DemoFleetTests {
    /// A job of the demo's that runs for `ms` milliseconds at --duration-scale 1.
    static func demoJob(ms: Int) -> NewJob {
        NewJob(kind: "email.send", payload: Data("{\"ms\":\(ms),\"fail\":false}".utf8))
    }

    @Test("a SIGKILLed drain-demo's running jobs are rescued by a peer within its lease plus one sweep, not before")
    func sigkillRescue() async throws {
        let fleet = try await Fleet()
        let url = fleet.server.url(schema: fleet.schema) + "&lease=2&heartbeat=0.25"
        let producer = try fleet.journal()
        let service = Task { try await producer.run() }
        defer { service.cancel() }
        _ = try await producer.recover()
        let ids = try await producer.append((0..<3).map { _ in Self.demoJob(ms: 60_000) })

        let victim = try Demo("victim", url: url, arguments: ["--rate", "0", "--concurrency", "3"])
        try await eventually(timeout: .seconds(20), "the victim to run the three jobs") {
            try await fleet.count("state = 'running'") == 3
        }
        // The peer runs the demo's jobs a thousand times faster, so the rescued ones finish at once.
        let peer = try Demo("peer", url: url, arguments: ["--rate", "0", "--duration-scale", "0.001"])
        try await eventually(timeout: .seconds(20), "the peer to register") {
            try await fleet.value("SELECT count(*) FROM $s.workers WHERE name = 'peer'") == "1"
        }
        let clock = ContinuousClock()
        victim.signal(SIGKILL)
        let killedAt = clock.now
        #expect(try await victim.wait() == 128 + SIGKILL)
        try await eventually(timeout: .seconds(8), "the rescue") { try await fleet.count("rescues > 0") == 3 }
        let rescuedAfter = clock.now - killedAt
        // The victim's last heartbeat can be up to one heartbeat (0.25 s) before the kill.
        #expect(rescuedAfter >= .milliseconds(1_700), "rescued after \(rescuedAfter), before the 2 s lease ran out")
        #expect(rescuedAfter <= .milliseconds(3_500), "rescued after \(rescuedAfter): lease + one sweep")
        try await eventually(timeout: .seconds(10), "the peer to finish them") {
            try await fleet.count("state = 'done'") == 3
        }
        let restarts = peer.recordLines.filter { $0.hasPrefix("start ") && $0.hasSuffix(" 2") }
        #expect(Set(restarts.map { $0.split(separator: " ")[1] }) == Set(ids.map { Substring("\($0)") }))
        peer.signal(SIGTERM)
        #expect(try await peer.wait() == 0)
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
        let server = try await PostgresTestServer.shared()
        let url = url.replacingOccurrences(of: "PORT", with: "\(server.port)")
            .replacingOccurrences(of: "PASSWORD", with: server.password)
        let demo = try Demo("bad", url: "", arguments: ["--rate", "0"], environment: ["DRAIN_POSTGRES_URL": url])
        #expect(try await demo.wait() == 1)
        #expect(demo.output.contains(message), "\(demo.output)")
        #expect(!demo.output.contains(server.password), "the password stays out of messages")
    }
}
