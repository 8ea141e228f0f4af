import DrainLocalPostgres
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl ls --postgres` and `status --postgres` against a private PostgreSQL with the journal's tables.
@Suite("drainctl on the fleet's journal", .timeLimit(.minutes(5)))
struct FleetCommandTests {
    /// Three workers: web-1 beating, web-2 draining, web-3 silent for 400 s of its 600 s lease. Leases of ten
    /// minutes, so that the seconds a loaded machine takes between the insert and drainctl's read never make
    /// a beating worker lost (silent for half its lease).
    func fleet() async throws -> (LocalPostgres, String) {
        let server = try await LocalPostgres.shared()
        let schema = "cli_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await server.psql(
            journalSchema(schema) + """
                INSERT INTO "\(schema)".workers (id, name, host, pid, lease_ms, phase, in_flight, heartbeat_at, deadline,
                    drained) VALUES
                ('00000000-0000-0000-0000-000000000001', 'web-1', 'host-a', 101, 600000, 'running', 1,
                    clock_timestamp(), NULL, NULL),
                ('00000000-0000-0000-0000-000000000002', 'web-2', 'host-b', 102, 600000, 'draining', 2,
                    clock_timestamp(), clock_timestamp() + interval '30 seconds', 3),
                ('00000000-0000-0000-0000-000000000003', 'web-3', 'host-b', 103, 600000, 'running', 2,
                    clock_timestamp() - interval '400 seconds', NULL, NULL);
                INSERT INTO "\(schema)".jobs (kind, payload, state, worker_id) VALUES
                ('a', '', 'running', '00000000-0000-0000-0000-000000000003'),
                ('b', '', 'running', '00000000-0000-0000-0000-000000000003'), ('c', '', 'queued', NULL);
                """)
        return (server, schema)
    }

    @Test("ls --postgres lists every worker with its host, a silent one lost with its jobs waiting for rescue")
    func list() async throws {
        let clock = ContinuousClock()
        let before = clock.now
        let (server, schema) = try await fleet()
        let text = try await runDrainctl(["ls", "--postgres", server.socketURL(schema: schema)])
        #expect(text.code == 0, "\(text.out)")
        let rows = text.out.split(separator: "\n")
        #expect(rows.first?.hasPrefix("HOST") == true)
        #expect(rows.contains { $0.hasPrefix("host-b") && $0.contains("web-3") && $0.contains("lost") })
        #expect(text.out.contains("2 jobs wait for rescue"))
        #expect(text.out.contains("3 workers on 2 hosts: 1 running, 1 draining, 1 lost; 1 queued"))
        let json = try await runDrainctl(["ls", "--postgres", server.socketURL(schema: schema), "--json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])
        #expect(array.count == 3)
        let web3 = try #require(array.first { $0["name"] as? String == "web-3" })
        #expect(web3["state"] as? String == "lost")
        #expect(web3["host"] as? String == "host-b")
        #expect(web3["running"] as? Int == 2)
        // 600 s less the 400 s of silence, less what the insert and the two reads took.
        let elapsed = Double((clock.now - before).components.seconds) + 1
        let rescueIn = web3["rescue_in_seconds"] as? Double ?? -1
        #expect((200 - elapsed...200.1).contains(rescueIn), "\(rescueIn) after \(elapsed) s")
    }

    @Test("status --postgres summarises the fleet and names the workers draining or lost")
    func status() async throws {
        let (server, schema) = try await fleet()
        let result = try await runDrainctl(["status", "--postgres", server.socketURL(schema: schema)])
        #expect(result.code == 0, "\(result.out)")
        #expect(result.out.contains("3 workers on 2 hosts"))
        #expect(result.out.contains("web-2 on host-b (pid 102): draining"))
        #expect(result.out.contains("web-3 on host-b (pid 103): lost"))
        #expect(!result.out.contains("web-1 on"), "a worker running normally needs no line")
    }

    @Test("a schema without a journal exits 2 and says so; a bad URL is a usage error", arguments: ["ls", "status"])
    func errors(command: String) async throws {
        let server = try await LocalPostgres.shared()
        let missing = try await runDrainctl([command, "--postgres", server.socketURL(schema: "no_such_fleet")])
        #expect(missing.code == 2)
        #expect(missing.out.contains("has a worker with this journal started yet?"), "\(missing.out)")
        let bad = try await runDrainctl([command, "--postgres", "http://db/jobs"])
        #expect(bad.code == 64)
        #expect(bad.out.contains("postgres://"), "\(bad.out)")
    }
}
