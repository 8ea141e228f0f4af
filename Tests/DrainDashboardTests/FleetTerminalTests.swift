import DrainLocalPostgres
import DrainProtocol
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

/// `drainctl top --postgres` in a real terminal, reading a private PostgreSQL whose journal tables are
/// written as workers write them: heartbeats that stop, a peer's rescue, the jobs taken by others.
///
/// A suite of its own, serialized within, beside the other terminal suites: a test waits on its pane
/// without holding a thread (tmux runs as a child whose exit is awaited), so the suites need not take
/// turns, and one chain of every terminal test made the slowest minute of the whole run.
@Suite("top's fleet view in a real terminal", .serialized, .timeLimit(.minutes(5)))
struct FleetTerminalTests {
    static let ids = (1...3).map { "00000000-0000-0000-0000-00000000000\($0)" }

    @Test(
        "a worker whose heartbeat stops shows lost with its rescue countdown, then rescued, and the hand-off to the others"
    )
    func lostThenRescued() async throws {
        let server = try await LocalPostgres.shared()
        let schema = "top_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await server.psql(
            journalSchema(schema) + """
                INSERT INTO "\(schema)".workers (id, name, host, pid, lease_ms, phase, in_flight) VALUES
                ('\(Self.ids[0])', 'web-1', 'host-a', 101, 4000, 'running', 1),
                ('\(Self.ids[1])', 'web-2', 'host-a', 102, 4000, 'running', 1),
                ('\(Self.ids[2])', 'web-3', 'host-b', 103, 4000, 'running', 2);
                INSERT INTO "\(schema)".jobs (kind, payload, state, worker_id) VALUES
                ('a', '', 'running', '\(Self.ids[2])'), ('b', '', 'running', '\(Self.ids[2])');
                """)
        let beat = """
            UPDATE "\(schema)".workers SET heartbeat_at = clock_timestamp() WHERE name <> 'web-3';
            """
        // web-1 and web-2 beat as live workers do, a few times a second, until the test ends.
        let beating = Task {
            while !Task.isCancelled {
                _ = try? await server.psql(beat)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        defer { beating.cancel() }
        let sandbox = try Sandbox()
        let tmux = try await Tmux(
            "DRAIN_POSTGRES_URL='\(server.socketURL(schema: schema))' \(Binaries.drainctl.path) top", columns: 120,
            rows: 30,
            environment: ["SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        try await tmux.waitUntil("three rows with their hosts") { screen in
            return screen.contains("host-b        web-3") && screen.contains("host-a        web-1")
                && screen.contains("3 workers on 2 hosts") ? true : nil
        }
        // web-3 stops beating (SIGKILL, as far as the journal can tell); the others go on.
        let lost = try await tmux.waitUntil("web-3 lost with a rescue countdown") { screen -> String? in
            return screen.split(separator: "\n").first { $0.contains("web-3") && $0.contains("LOST") }
                .flatMap {
                    $0.contains("2 jobs, rescue in") || $0.contains("2 jobs, rescue due") ? String($0) : nil
                }
        }
        #expect(lost.contains("host-b"))
        // What a peer's sweep does once the lease is over; then web-1 and web-2 take one job each.
        _ = try await server.psql(
            beat + """
                UPDATE "\(schema)".jobs SET state = '\(JobState.queued)', worker_id = NULL WHERE worker_id = '\(Self.ids[2])';
                UPDATE "\(schema)".workers SET dead_at = clock_timestamp() WHERE name = 'web-3';
                """)
        try await tmux.waitUntil("web-3 rescued") { screen in
            return screen.split(separator: "\n").contains { $0.contains("web-3") && $0.contains("RESCUED") }
                ? true : nil
        }
        _ = try await server.psql(
            beat + """
                UPDATE "\(schema)".jobs SET state = '\(JobState.running)', worker_id = '\(Self.ids[0])' WHERE kind = 'a';
                UPDATE "\(schema)".jobs SET state = '\(JobState.running)', worker_id = '\(Self.ids[1])' WHERE kind = 'b';
                """)
        let screen = try await tmux.waitUntil("the hand-off") { screen in
            return screen.contains("web-3 rescued 2 → taken by web-1 (1), web-2 (1)") ? screen : nil
        }
        #expect(screen.contains("was found dead"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(await tmux.capture().contains("drainctl top: web-3 rescued 2 → taken by web-1 (1), web-2 (1)"))
    }

    @Test(
        "three drain-demos on one journal: three rows; one SIGKILLed shows lost with its jobs waiting, then rescued and handed off"
    )
    func demosOnOneJournal() async throws {
        let server = try await LocalPostgres.shared()
        let schema = "demo_\(UUID().uuidString.prefix(8).lowercased())"
        // A short lease, so the rescue comes within the test's patience.
        let url = server.socketURL(schema: schema) + "&lease=2&heartbeat=0.25"
        let sandbox = try Sandbox()
        var demos: [String: ChildProcess] = [:]
        for name in ["alpha", "beta", "victim"] {
            // Long jobs (30 times the demo's), so the victim dies holding some.
            demos[name] = try ChildProcess(
                executable: Binaries.demo.path,
                arguments: [
                    "--name", name, "--postgres", url, "--run-dir", sandbox.root + "/run-\(name)", "--rate", "4",
                    "--duration-scale", "30", "--concurrency", "4", "--log-level", "warning",
                ],
                environment: sandbox.environment, outputPath: sandbox.root + "/\(name).log")
        }
        defer { for demo in demos.values { demo.signal(SIGKILL) } }
        // top refuses a schema no worker has created yet (exit 2): start it once the three have registered.
        try await eventuallyValue("three workers registered") {
            (try? await server.psql("SELECT count(*) FROM \"\(schema)\".workers"))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
                == "3" ? true : nil
        }
        let tmux = try await Tmux(
            "\(Binaries.drainctl.path) top --postgres '\(url)'", columns: 140, rows: 32,
            environment: ["SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        try await tmux.waitUntil("three workers running, the victim with jobs") { screen in
            let rows = screen.split(separator: "\n")
            let running = ["alpha", "beta", "victim"].allSatisfy { name in
                rows.contains { $0.contains(" \(name) ") && $0.contains("RUNNING") }
            }
            let busy = ["beta", "victim"].allSatisfy { name in
                rows.contains { $0.contains(" \(name) ") && $0.firstMatch(of: /RUNNING +[1-9]/) != nil }
            }
            return running && busy && screen.contains("3 workers on 1 host") ? true : nil
        }
        // beta drains (its 30 s grace outlasts the test): its row reads like a host row, with the
        // countdown, drained of the total, the ETA range (or past) and the expected misses.
        try #require(demos["beta"]).signal(SIGTERM)
        let draining = try await tmux.waitUntil("beta draining with its drain's columns") { screen in
            screen.split(separator: "\n").first { row in
                row.contains(" beta ") && row.contains("DRAINING")
                    && row.firstMatch(
                        of: /\s[0-9]+\/[1-9][0-9]* +([0-9.]+(–[0-9.]+)?s|[0-9.]+s–past|past) +[0-9]+\s/)
                        != nil
            }.map(String.init)
        }
        #expect(draining.firstMatch(of: /[0-9.]+s\s/) != nil, "the seconds left: \(draining)")
        let victim = try #require(demos["victim"])
        victim.signal(SIGKILL)
        let lost = try await tmux.waitUntil("the victim lost, its jobs waiting for rescue") { screen in
            screen.split(separator: "\n").first { $0.contains(" victim ") && $0.contains("LOST") }.map(String.init)
        }
        #expect(lost.firstMatch(of: /[1-9][0-9]* jobs?, rescue (in|due)/) != nil, "\(lost)")
        let rescued = try await tmux.waitUntil("the victim rescued and its work handed off") { screen in
            screen.split(separator: "\n").contains { $0.contains(" victim ") && $0.contains("RESCUED") }
                && screen.contains("victim rescued") ? screen : nil
        }
        #expect(rescued.contains("was found dead; its jobs went back to the queue"))
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(await tmux.capture().contains("drainctl top: victim rescued"))
    }
}
