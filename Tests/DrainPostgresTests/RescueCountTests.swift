import Drain
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

@testable import DrainPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// The jobs waiting for rescue: counted by docs/KUBERNETES.md's KEDA query and by every worker, on a real
/// PostgreSQL, so that an autoscaler never scales a fleet to zero under a dead worker's jobs.
@Suite("Jobs waiting for rescue", .serialized, .timeLimit(.minutes(5)))
struct RescueCountTests {
    /// docs/KUBERNETES.md's KEDA query, exactly, on `schema` instead of the default `drain`.
    static func kedaQuery(schema: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/KUBERNETES.md"), encoding: .utf8)
        let begin = "<!-- keda-query:begin -->\n```sql\n"
        let end = "```\n<!-- keda-query:end -->"
        let start = try #require(doc.range(of: begin), "docs/KUBERNETES.md has no KEDA query")
        let stop = try #require(doc.range(of: end, range: start.upperBound..<doc.endIndex))
        let query = String(doc[start.upperBound..<stop.lowerBound])
        #expect(query.contains("drain.jobs") && query.contains("drain.workers"))
        return query.replacingOccurrences(of: "drain.", with: "\"\(schema)\".")
    }

    // MARK: - The query

    @Test("a rescue the service's sweep made before the pool subscribed is told when it does, once")
    func rescueBeforeSubscription() async throws {
        let fleet = try await Fleet()
        let journal = try fleet.journal()
        // Once recover() has registered the worker, the service's sweep may rescue before run() subscribes.
        journal.publish(JournalUpdate(wake: true, rescued: 2))
        journal.publish(JournalUpdate(queued: 5))
        let updates = journal.updates { WorkerStatus(phase: .running, inFlight: 0) }
        journal.publish(JournalUpdate(wake: true, rescued: 1))
        var iterator = updates.makeAsyncIterator()
        let first = await iterator.next()
        // Required: without it the next read below would wait for an update that never comes.
        try #require(first?.rescued == 2, "the rescue made before the subscription")
        let second = await iterator.next()
        #expect(second?.rescued == 1, "then the live ones, the earlier count not told twice")
        // A second subscriber (the pool started again on this journal) is not told the old rescue again.
        var again = journal.updates { WorkerStatus(phase: .running, inFlight: 0) }.makeAsyncIterator()
        journal.publish(JournalUpdate(queued: 1))
        #expect(await again.next()?.rescued == 0)
    }

    @Test("the KEDA query counts queued jobs and running ones no live worker holds, as the workers count them")
    func kedaQueryCounts() async throws {
        let fleet = try await Fleet()
        let keda = try Self.kedaQuery(schema: fleet.schema)
        // A heartbeat of 20 s: the producer's own sweep (at its start, then every heartbeat) must not rescue
        // the rows below while they are counted.
        try await fleet.withProducer(lease: .seconds(60), heartbeat: .seconds(20)) { producer in
            #expect(try await fleet.value(keda) == "0")
            _ = try await producer.append([NewJob(kind: "k", payload: Data()), NewJob(kind: "k", payload: Data())])
            #expect(try await fleet.value(keda) == "2", "queued jobs count")

            // Workers as the table can hold them, each running one job. Lease 60 s unless said.
            let live = PostgresSchema.sessionName(worker: producer.workerID)
            let rows: [(id: String, phase: String, beat: String, lease: Int, session: String?, waits: Bool)] = [
                ("00000000-0000-0000-0000-0000000000a1", "running", "0", 60_000, live, false),
                ("00000000-0000-0000-0000-0000000000a2", "draining", "0", 60_000, nil, false),
                ("00000000-0000-0000-0000-0000000000a3", "stopped", "0", 60_000, live, true),
                ("00000000-0000-0000-0000-0000000000a4", "running", "10 seconds", 2_000, nil, true),
                ("00000000-0000-0000-0000-0000000000a5", "running", "0", 60_000, "drain-nobody-connected", true),
            ]
            for row in rows {
                try await fleet.value(
                    """
                    INSERT INTO $s.workers (id, name, host, pid, lease_ms, phase, heartbeat_at, session_name)
                    VALUES ('\(row.id)', 'w', 'h', 1, \(row.lease), '\(row.phase)',
                        clock_timestamp() - interval '\(row.beat)', \(row.session.map { "'\($0)'" } ?? "NULL"));
                    INSERT INTO $s.jobs (kind, payload, state, worker_id, started_at)
                    VALUES ('k', '\\x00', 'running', '\(row.id)', now())
                    """)
            }
            // A running job whose worker has no row at all.
            try await fleet.value(
                """
                INSERT INTO $s.jobs (kind, payload, state, worker_id, started_at)
                VALUES ('k', '\\x00', 'running', '00000000-0000-0000-0000-0000000000ff', now())
                """)
            let waiting = rows.filter(\.waits).count + 1
            #expect(try await fleet.value(keda) == "\(2 + waiting)", "queued + waiting for rescue")
            let counted = try await producer.beat()
            #expect(counted.queued == 2)
            #expect(counted.waitingForRescue == waiting, "a worker's heartbeat counts what the KEDA query counts")
        }
    }

    // MARK: - A SIGKILL, seen by a survivor

    @Test("after a SIGKILL a surviving worker shows the dead one's jobs as waiting for rescue within one heartbeat")
    func survivorShowsWaitingJobs() async throws {
        let fleet = try await Fleet()
        // A long lease, so that the rescue does not come during the test: what is seen is the count alone.
        let url = fleet.server.url(schema: fleet.schema) + "&lease=30&heartbeat=0.5"
        let keda = try Self.kedaQuery(schema: fleet.schema)
        let (_, service) = try await DemoFleetTests.queueMinuteJobs(fleet)
        defer { service.cancel() }
        let victim = try Demo("victim", url: url, arguments: ["--rate", "0", "--concurrency", "3"])
        try await eventually("the victim to run the three jobs") {
            try await fleet.count("state = 'running'") == 3
        }
        let metricsPort = FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString)").path
        defer { unlink(metricsPort) }
        let survivor = try Demo(
            "survivor", url: url,
            arguments: ["--rate", "0", "--metrics", "127.0.0.1:0", "--metrics-port-file", metricsPort])
        let socket = survivor.directory.appendingPathComponent("survivor.\(survivor.child.pid).sock").path
        try await eventually("the survivor's first heartbeat") {
            let status = try await Self.status(socket)
            return status["journal_reachable"] as? Bool == true && status["waiting_for_rescue"] as? Int == 0
        }
        #expect(try await fleet.value(keda) == "0", "jobs running on a live worker are not waiting")

        let clock = ContinuousClock()
        victim.signal(SIGKILL)
        let killedAt = clock.now
        #expect(try await victim.wait() == 128 + SIGKILL)
        try await eventually("the survivor to count the victim's jobs") {
            try await Self.status(socket)["waiting_for_rescue"] as? Int == 3
        }
        let shownAfter = clock.now - killedAt
        // One heartbeat is 0.5 s, and the 30 s lease has not run out: seen from the heartbeat, not the rescue.
        // (How soon, on a loaded machine, is the benchmarks' to say; a bound of one heartbeat here would fail
        // by chance.)
        #expect(shownAfter < .seconds(15), "shown \(shownAfter) after the SIGKILL, not from a heartbeat")
        #expect(try await fleet.count("rescues > 0") == 0, "not rescued yet: the 30 s lease has not run out")

        let text = try await Self.drainctl(["status", "--socket", socket])
        #expect(text.contains("waiting for rescue 3"), "drainctl status:\n\(text)")
        #expect(try await fleet.value(keda) == "3", "the KEDA query counts them too")
        let ls = try await Self.drainctl(["ls", "--postgres", url, "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(ls.utf8)) as? [[String: Any]], "\(ls)")
        let dead = try #require(rows.first { $0["name"] as? String == "victim" }, "\(ls)")
        #expect(dead["state"] as? String == "lost", "the victim's sessions closed with it: \(ls)")
        #expect(dead["waiting_for_rescue"] as? Int == 3, "\(ls)")
        let alive = try #require(rows.first { $0["name"] as? String == "survivor" }, "\(ls)")
        #expect(alive["waiting_for_rescue"] as? Int == 0)
        let port = try String(contentsOfFile: metricsPort, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let scrape = try await shell(
            "python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \"$1\"",
            ["http://127.0.0.1:\(port)/metrics"])
        #expect(scrape.out.contains("drain_waiting_for_rescue{pool=\"survivor\"} 3"), "\(scrape.out)")

        survivor.signal(SIGTERM)
        #expect(try await survivor.wait() == 0)
    }

    // MARK: - Helpers

    /// `drainctl` with `arguments`: its exit code (nil: still running after 20 s) and standard output.
    static func run(_ arguments: [String]) async throws -> (code: Int32?, out: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("dc-\(UUID().uuidString)").path
        defer { unlink(output) }
        let child = try ChildProcess(
            executable: Binaries.drainctl.path, arguments: arguments,
            environment: ProcessInfo.processInfo.environment, outputPath: output)
        let code = await child.wait(upTo: .seconds(20))
        return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// `drainctl` with `arguments`, which must succeed; its standard output.
    static func drainctl(_ arguments: [String]) async throws -> String {
        let (code, out) = try await run(arguments)
        #expect(code == 0, "drainctl \(arguments.joined(separator: " ")) exited \(code.map(String.init) ?? "late")")
        return out
    }

    /// `drainctl status --json` of one process, as a JSON object; empty while it does not answer yet.
    static func status(_ socket: String) async throws -> [String: Any] {
        guard FileManager.default.fileExists(atPath: socket) else { return [:] }
        let (code, text) = try await run(["status", "--socket", socket, "--json"])
        guard code == 0 else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }
}
