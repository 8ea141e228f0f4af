import DrainFleet
import DrainLocalPostgres
import DrainProtocol
import DrainTestSupport
import Foundation
import Testing

/// The fleet read from a real PostgreSQL with the journal's tables, workers written as they write
/// themselves: heartbeats, phases, deadlines, running jobs, a dead one rescued.
@Suite("Fleet reader", .timeLimit(.minutes(5)))
struct FleetReaderTests {
    static func uuid(_ n: Int) -> String { "00000000-0000-0000-0000-\(String(format: "%012d", n))" }

    /// A schema of this test's own, with three workers on two hosts: web-1 beating and running, web-2
    /// draining with 8 s left, web-3 silent for 400 s of a 600 s lease with two jobs it still holds.
    ///
    /// Leases of ten minutes: a worker counts as lost once silent for half its lease, and the time between
    /// the insert and the read (seconds, on a loaded machine) must not make the beating ones lost.
    func fleet(_ server: LocalPostgres) async throws -> String {
        let schema = "fleet_\(UUID().uuidString.prefix(8).lowercased())"
        try await server.psql(
            journalSchema(schema) + """
                INSERT INTO "\(schema)".workers (id, name, host, pid, lease_ms, phase, in_flight, deadline, drained,
                    heartbeat_at) VALUES
                ('\(Self.uuid(1))', 'web-1', 'host-a', 101, 600000, 'running', 1, NULL, NULL, clock_timestamp()),
                ('\(Self.uuid(2))', 'web-2', 'host-a', 102, 600000, 'draining', 3,
                    clock_timestamp() + interval '8 seconds', 4, clock_timestamp()),
                ('\(Self.uuid(3))', 'web-3', 'host-b', 103, 600000, 'running', 2, NULL, NULL,
                    clock_timestamp() - interval '400 seconds');
                INSERT INTO "\(schema)".jobs (kind, payload, state, worker_id) VALUES
                ('a', '', 'running', '\(Self.uuid(1))'), ('b', '', 'running', '\(Self.uuid(3))'),
                ('c', '', 'running', '\(Self.uuid(3))'), ('d', '', 'queued', NULL), ('e', '', 'done', NULL);
                """)
        return schema
    }

    @Test("every worker with its host, phase, countdown and running jobs; a silent one is lost with its rescue time")
    func workers() async throws {
        let server = try await LocalPostgres.shared()
        // The rows' times are the database's clock at the insert: what the read says depends on how long the
        // insert and the read took, which a loaded machine stretches, so the bounds below allow for it.
        let clock = ContinuousClock()
        let before = clock.now
        let schema = try await fleet(server)
        let reader = try FleetReader(url: FleetURL(server.socketURL(schema: schema)))
        let snapshot = try reader.read()
        let elapsed = Double((clock.now - before).components.seconds) + 1
        #expect(snapshot.workers.map(\.name) == ["web-1", "web-2", "web-3"])
        #expect(snapshot.workers.map(\.host) == ["host-a", "host-a", "host-b"])
        #expect(snapshot.queued == 1)
        #expect(snapshot.running.count == 3)
        let (web1, web2, web3) = (snapshot.workers[0], snapshot.workers[1], snapshot.workers[2])
        #expect(web1.health == .alive && web1.phase == .running && web1.running == 1)
        #expect(web2.phase == .draining && web2.drained == 4)
        #expect((8 - elapsed...8).contains(web2.secondsLeft ?? 0), "\(web2.secondsLeft ?? -1) after \(elapsed) s")
        #expect(web3.running == 2 && web3.lease == 600)
        guard case .lost(let rescueIn) = web3.health else {
            Issue.record("web-3 should be lost, is \(web3.health)")
            return
        }
        #expect((200 - elapsed...200.1).contains(rescueIn), "\(rescueIn) after \(elapsed) s")
    }

    @Test("a stopped worker names the drain it kept in the fleet's history; a schema without history still reads")
    func drainIDs() async throws {
        let server = try await LocalPostgres.shared()
        let schema = try await fleet(server)
        // web-2 finishes its drain as a worker does: the drain is kept, then its row says stopped.
        let kept = try await server.psql(
            """
            INSERT INTO "\(schema)".drains (fleet, worker_id, worker, host, pid, stopped_at, outcome, report) VALUES
            ('\(schema)', '\(Self.uuid(2))', 'web-2', 'host-a', 102, clock_timestamp(), 'clean', '{}'),
            ('\(schema)', '\(Self.uuid(9))', 'web-9', 'host-c', 109, clock_timestamp(), 'clean', '{}')
            RETURNING id
            """)
        try await server.psql("UPDATE \"\(schema)\".workers SET phase = 'stopped' WHERE name = 'web-2'")
        let id = try #require(kept.split(whereSeparator: \.isWhitespace).first.flatMap { Int64($0) }, "\(kept)")
        let reader = try FleetReader(url: FleetURL(server.socketURL(schema: schema)))
        let workers = try reader.read().workers
        #expect(workers.map(\.drainID) == [nil, id, nil], "only the stopped worker's own drain")
        #expect(FleetText.detail(workers[1]) == "drain #\(id) · drainctl report \(id)")

        // A fleet of workers from before the history (schema v5): no drains table, the read is unchanged.
        let old = try await fleet(server)
        try await server.psql("DROP TABLE \"\(old)\".drains")
        try await server.psql("UPDATE \"\(old)\".workers SET phase = 'stopped' WHERE name = 'web-2'")
        let oldReader = try FleetReader(url: FleetURL(server.socketURL(schema: old)))
        let oldWorkers = try oldReader.read().workers
        #expect(oldWorkers.map(\.name) == ["web-1", "web-2", "web-3"])
        #expect(oldWorkers[1].health == .stopped && oldWorkers[1].drainID == nil)
    }

    @Test("over TLS the reader takes libpq's sslmode: verify-full with the server's certificate reads the fleet")
    func tls() async throws {
        let server = try await LocalPostgres.shared()
        let schema = try await fleet(server)
        let url = server.url(schema: schema) + "&sslmode=verify-full&sslrootcert=\(server.certificate)"
        let snapshot = try FleetReader(url: FleetURL(url)).read()
        #expect(snapshot.workers.map(\.name) == ["web-1", "web-2", "web-3"])
        // The same URL without the root: libpq refuses the self-signed certificate, and says so.
        let refused = #expect(throws: FleetError.self) {
            try FleetReader(url: FleetURL(server.url(schema: schema) + "&sslmode=verify-full"))
        }
        #expect(refused?.code == .connectFailed)
        #expect(refused?.message.contains("certificate") == true, "\(refused?.message ?? "")")
    }

    @Test("a dead worker's jobs rescued by a peer and taken by two others read as a hand-off")
    func rescueAndHandoff() async throws {
        let server = try await LocalPostgres.shared()
        let schema = try await fleet(server)
        let reader = try FleetReader(url: FleetURL(server.socketURL(schema: schema)))
        var tracker = HandoffTracker()
        func read() throws -> FleetSnapshot {
            let snapshot = try reader.read()
            tracker.observe(
                running: snapshot.running, states: try reader.states(of: tracker.unknown(running: snapshot.running)))
            return snapshot
        }
        _ = try read()
        // What a peer's sweep does to a dead worker: its running jobs back to the queue, its row marked.
        try await server.psql(
            """
            UPDATE "\(schema)".jobs SET state = '\(JobState.queued)', worker_id = NULL, rescues = rescues + 1
                WHERE worker_id = '\(Self.uuid(3))' AND state = '\(JobState.running)';
            UPDATE "\(schema)".workers SET dead_at = clock_timestamp() WHERE id = '\(Self.uuid(3))';
            """)
        let rescued = try read()
        #expect(rescued.workers[2].health == .rescued)
        #expect(rescued.workers[2].running == 0)
        #expect(tracker.sorted.first?.waiting == 2)
        try await server.psql(
            """
            UPDATE "\(schema)".jobs SET state = '\(JobState.running)', worker_id = '\(Self.uuid(1))' WHERE kind = 'b';
            UPDATE "\(schema)".jobs SET state = '\(JobState.running)', worker_id = '\(Self.uuid(2))' WHERE kind = 'c';
            """)
        _ = try read()
        let handoff = try #require(tracker.sorted.first)
        #expect(handoff.from == Self.uuid(3))
        #expect(handoff.requeued == 2)
        #expect(handoff.takenBy == [Self.uuid(1): 1, Self.uuid(2): 1])
    }

    @Test("a schema without a journal, a bad URL and an unreachable server each give a clear error")
    func errors() async throws {
        let server = try await LocalPostgres.shared()
        let reader = try FleetReader(url: FleetURL(server.socketURL(schema: "nobody_here")))
        let missing = #expect(throws: FleetError.self) { try reader.read() }
        #expect(missing?.code == .queryFailed)
        #expect(missing?.message.contains("has a worker with this journal started yet?") == true)
        let bad = #expect(throws: FleetError.self) { try FleetURL("mysql://x@y/z") }
        #expect(bad?.code == .invalidURL)
        let schema = #expect(throws: FleetError.self) { try FleetURL("postgres://x@y/z?schema=Drop;Table") }
        #expect(schema?.message.contains("lower-case identifier") == true)
        let nowhere = #expect(throws: FleetError.self) {
            try FleetReader(url: FleetURL("postgres://x@localhost/db?host=/nonexistent-dir"))
        }
        #expect(nowhere?.code == .connectFailed)
        #expect(nowhere?.message.contains("/nonexistent-dir") == true)
    }

    @Test("the URL keeps the password out of messages and the journal's own options out of libpq's")
    func url() throws {
        let url = try FleetURL("postgres://u:secret@db:5433/jobs?schema=shop&lease=5&heartbeat=1&sslmode=disable")
        #expect(url.schema == "shop")
        #expect(!url.description.contains("secret"))
        #expect(!url.connectionString.contains("lease") && !url.connectionString.contains("schema"))
        #expect(url.connectionString.contains("sslmode=disable"))
        #expect(try FleetURL("postgresql://u@db/jobs").schema == "drain")
    }
}

/// The benchmark measures the reader's own statements.
@Suite("Fleet benchmark script")
struct FleetBenchmarkScriptTests {
    @Test("bench/fleet-read/read.sql is FleetReader's read, statement for statement")
    func sameStatements() throws {
        let path = Binaries.packageRoot.appendingPathComponent("bench/fleet-read/read.sql").path
        let script = try String(contentsOfFile: path, encoding: .utf8)
        // pgbench sends statements joined by `\;` in one round trip, as libpq sends the reader's.
        let statements = script.replacingOccurrences(of: "\\;", with: ";").trimmingCharacters(in: .newlines)
        #expect(statements == FleetReader.statements(schema: "drain", forgetAfter: 600))
    }
}
