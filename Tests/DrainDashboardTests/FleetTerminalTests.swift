import DrainTestSupport
import Foundation
import Testing

/// `drainctl top --postgres` in a real terminal, reading a private PostgreSQL whose journal tables are
/// written as workers write them: heartbeats that stop, a peer's rescue, the jobs taken by others.
@Suite("top's fleet view in a real terminal", .serialized, .timeLimit(.minutes(1)))
struct FleetTerminalTests {
    static let ids = (1...3).map { "00000000-0000-0000-0000-00000000000\($0)" }

    @Test(
        "a worker whose heartbeat stops shows lost with its rescue countdown, then rescued, and the hand-off to the others"
    )
    func lostThenRescued() async throws {
        let server = try await PostgresTestServer.shared()
        let schema = "top_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try server.psql(
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
        let sandbox = try Sandbox()
        let tmux = try Tmux(
            "DRAIN_POSTGRES_URL='\(server.socketURL(schema: schema))' \(Binaries.drainctl.path) top", columns: 120,
            rows: 30,
            environment: ["SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        try await tmux.waitUntil("three rows with their hosts") { screen in
            _ = try? server.psql(beat)
            return screen.contains("host-b        web-3") && screen.contains("host-a        web-1")
                && screen.contains("3 workers on 2 hosts") ? true : nil
        }
        // web-3 stops beating (SIGKILL, as far as the journal can tell); the others go on.
        let lost = try await tmux.waitUntil("web-3 lost with a rescue countdown") { screen -> String? in
            _ = try? server.psql(beat)
            return screen.split(separator: "\n").first { $0.contains("web-3") && $0.contains("LOST") }
                .flatMap { $0.contains("2 jobs, rescue in") || $0.contains("2 jobs, rescue due") ? String($0) : nil }
        }
        #expect(lost.contains("host-b"))
        // What a peer's sweep does once the lease is over; then web-1 and web-2 take one job each.
        _ = try server.psql(
            beat + """
                UPDATE "\(schema)".jobs SET state = 'queued', worker_id = NULL WHERE worker_id = '\(Self.ids[2])';
                UPDATE "\(schema)".workers SET dead_at = clock_timestamp() WHERE name = 'web-3';
                """)
        try await tmux.waitUntil("web-3 rescued") { screen in
            _ = try? server.psql(beat)
            return screen.split(separator: "\n").contains { $0.contains("web-3") && $0.contains("RESCUED") }
                ? true : nil
        }
        _ = try server.psql(
            beat + """
                UPDATE "\(schema)".jobs SET state = 'running', worker_id = '\(Self.ids[0])' WHERE kind = 'a';
                UPDATE "\(schema)".jobs SET state = 'running', worker_id = '\(Self.ids[1])' WHERE kind = 'b';
                """)
        let screen = try await tmux.waitUntil("the hand-off") { screen in
            _ = try? server.psql(beat)
            return screen.contains("web-3 requeued 2 → taken by web-1 (1), web-2 (1)") ? screen : nil
        }
        #expect(screen.contains("was found dead"))
        tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        #expect(tmux.capture().contains("drainctl top: web-3 requeued 2 → taken by web-1 (1), web-2 (1)"))
    }
}
