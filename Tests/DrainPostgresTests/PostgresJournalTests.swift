import Drain
import DrainPostgres
import DrainTestSupport
import Foundation
import Synchronization
import Testing

/// The journal's statements against a real PostgreSQL, one schema per test.
@Suite("PostgreSQL journal", .timeLimit(.minutes(5)))
struct PostgresJournalTests {
    // MARK: Claims

    @Test("workers claiming at once from one queue never get the same job")
    func concurrentClaims() async throws {
        let fleet = try await Fleet()
        let journals = try (0..<4).map { try fleet.journal(name: "w\($0)") }
        let services = journals.map { journal in Task { try await journal.run() } }
        defer { for service in services { service.cancel() } }
        for journal in journals { _ = try await journal.recover() }
        let ids = try await journals[0].append(
            (0..<400).map { NewJob(kind: "quick", payload: Data([UInt8($0 % 256)])) })
        #expect(ids == ids.sorted() && Set(ids).count == 400)
        let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
            for journal in journals {
                group.addTask {
                    var mine: [JobID] = []
                    while true {
                        let jobs = try await journal.claim(limit: 7)
                        if jobs.isEmpty { return mine }
                        mine += jobs.map(\.id)
                        try await journal.settle(jobs.map { JobOutcome(id: $0.id, result: .done) })
                    }
                }
            }
            return try await group.reduce(into: [[JobID]]()) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 400, "every job claimed once")
        #expect(Set(all) == Set(ids), "and no job twice")
        #expect(claimed.filter { !$0.isEmpty }.count > 1, "the claims really ran side by side")
        #expect(try await fleet.count("state = '\(JobState.done)'") == 400)
    }

    @Test("a claim records the worker, the attempt and the time; a release gives the attempt back")
    func claimRecords() async throws {
        let fleet = try await Fleet()
        let journal = try fleet.journal()
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        _ = try await journal.recover()
        let ids = try await journal.append([NewJob(kind: "quick", payload: Data("x".utf8))])
        let jobs = try await journal.claim(limit: 5)
        #expect(jobs.map(\.id) == ids)
        #expect(jobs.first?.attempt == 1)
        #expect(jobs.first?.payload == Data("x".utf8))
        #expect(try await fleet.value("SELECT worker_id FROM $s.jobs") == journal.workerID.uuidString.lowercased())
        #expect(try await fleet.count("started_at IS NOT NULL AND state = '\(JobState.running)'") == 1)
        try await journal.settle([JobOutcome(id: ids[0], result: .released)])
        #expect(try await fleet.value("SELECT state || ' ' || attempts FROM $s.jobs") == "queued 0")
        let again = try await journal.claim(limit: 1)
        try await journal.settle([JobOutcome(id: again[0].id, result: .failed("boom"))])
        #expect(
            try await fleet.value("SELECT state || ' ' || attempts || ' ' || last_error FROM $s.jobs")
                == "failed 1 boom")
        let counts = try await journal.counts()
        #expect(counts == JournalCounts(queued: 0, running: 0, done: 0, failed: 1))
    }

    @Test("recent durations come from the whole fleet's finished runs, newest first, per kind")
    func recentDurations() async throws {
        let fleet = try await Fleet()
        let journal = try fleet.journal()
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        _ = try await journal.recover()
        for (kind, seconds) in [("a", 1), ("a", 2), ("a", 3), ("b", 5)] {
            try await fleet.value(
                "INSERT INTO $s.jobs (kind, payload, state, started_at, finished_at) VALUES ('\(kind)', '', 'done', now() - interval '\(seconds) seconds', now())"
            )
        }
        try await fleet.value("INSERT INTO $s.jobs (kind, payload, state) VALUES ('a', '', 'queued')")
        let durations = try await journal.recentDurations(limit: 2)
        #expect(durations["a"]?.map { $0.rounded() } == [3, 2], "the two newest of kind a")
        #expect(durations["b"]?.map { $0.rounded() } == [5])
    }

    @Test("runs cut short are kept as censored runs, and a worker started later reads them with the finished")
    func cutRunsCensored() async throws {
        let fleet = try await Fleet()
        let first = try fleet.journal(name: "first")
        let service = Task { try await first.run() }
        defer { service.cancel() }
        _ = try await first.recover()
        let ids = try await first.append((0..<4).map { _ in NewJob(kind: "export", payload: Data()) })
        _ = try await first.claim(limit: 4)
        try await first.settle([JobOutcome(id: ids[0], result: .done)])
        try await Task.sleep(for: .milliseconds(300))
        // A forced drain: two runs cut after at least 300 ms, one never started (released: no run at all).
        try await first.settle([
            JobOutcome(id: ids[1], result: .requeued), JobOutcome(id: ids[2], result: .requeued),
            JobOutcome(id: ids[3], result: .released),
        ])
        #expect(try await fleet.value("SELECT count(*) FROM $s.cut_runs WHERE kind = 'export'") == "2")
        #expect(try await fleet.count("state = '\(JobState.queued)'") == 3, "the cut jobs are queued again")

        let later = try fleet.journal(name: "later")
        let laterService = Task { try await later.run() }
        defer { laterService.cancel() }
        _ = try await later.recover()
        let runs = try #require(try await later.recentRuns(limit: 10)["export"])
        #expect(runs.map(\.censored) == [true, true, false], "newest first: the cuts came after the finished run")
        for run in runs where run.censored { #expect(run.seconds >= 0.29 && run.seconds < 30, "\(run.seconds)") }
        #expect(try await later.recentRuns(limit: 1)["export"]?.count == 1)
        #expect(try await later.recentDurations(limit: 10)["export"]?.count == 1, "finished runs only, as before")
    }

    @Test("two fleets in one database, in two schemas, do not see each other's jobs")
    func twoFleets() async throws {
        let red = try await Fleet()
        let blue = try await Fleet()
        let redJournal = try red.journal()
        let blueJournal = try blue.journal()
        let services = [Task { try await redJournal.run() }, Task { try await blueJournal.run() }]
        defer { for service in services { service.cancel() } }
        _ = try await redJournal.recover()
        _ = try await blueJournal.recover()
        _ = try await redJournal.append([
            NewJob(kind: "quick", payload: Data()), NewJob(kind: "quick", payload: Data()),
        ])
        _ = try await blueJournal.append([NewJob(kind: "quick", payload: Data())])
        #expect(try await redJournal.counts().queued == 2)
        #expect(try await blueJournal.counts().queued == 1)
        #expect(try await blueJournal.claim(limit: 10).count == 1)
        #expect(try await redJournal.counts().queued == 2, "blue's claim took none of red's")
    }

    @Test("a journal whose service was never run says so instead of hanging")
    func notRunning() async throws {
        let fleet = try await Fleet()
        // The schema first, under the suite's generous timeout: the migration runs on a connection of its own,
        // which needs no service, and beside two CPU hogs it once took longer than the 10 s below, so the
        // journal timed out migrating instead of in the call that needs the service.
        try await fleet.journal().migrate()
        // Shorter than the tests' usual timeout: this one waits it out before the journal can say why.
        let journal = try fleet.journal(operationTimeout: .seconds(10))
        let error = await #expect(throws: DrainError.self) { _ = try await journal.recover() }
        #expect(
            error?.cause?.contains("add it to the ServiceGroup before the pool") == true, "\(String(describing: error))"
        )
    }

    // MARK: Schema

    @Test("an existing older schema is migrated in place on start, its jobs kept")
    func migration() async throws {
        let fleet = try await Fleet()
        let old = try fleet.journal()
        try await old.migrate(upTo: 1)
        #expect(try await fleet.value("SELECT max(version) FROM $s.schema_version") == "1")
        try await fleet.value("INSERT INTO $s.jobs (kind, payload, state) VALUES ('quick', '\\x01', 'queued')")
        #expect(
            try await fleet.value(
                "SELECT count(*) FROM information_schema.columns WHERE column_name = 'rescues' AND table_schema = '\(fleet.schema)'"
            ) == "0")

        let journal = try fleet.journal()
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        _ = try await journal.recover()
        #expect(
            try await fleet.value("SELECT string_agg(version::text, ',' ORDER BY version) FROM $s.schema_version")
                == "1,2,3,4,5,6")
        let jobs = try await journal.claim(limit: 5)
        #expect(jobs.map(\.payload) == [Data([1])], "the job written under v1 is still there")
        #expect(try await fleet.value("SELECT rescues FROM $s.jobs") == "0")
    }

    @Test("workers starting at once migrate the schema exactly once")
    func concurrentMigration() async throws {
        let fleet = try await Fleet()
        let journals = try (0..<4).map { _ in try fleet.journal() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for journal in journals { group.addTask { try await journal.migrate() } }
            try await group.waitForAll()
        }
        #expect(
            try await fleet.value("SELECT string_agg(version::text, ',' ORDER BY version) FROM $s.schema_version")
                == "1,2,3,4,5,6")
    }

    @Test("rows of workers silent longer than the retention are deleted, unless they hold running jobs")
    func pruneOldWorkers() async throws {
        let fleet = try await Fleet()
        var configuration = try fleet.configuration(name: "janitor")
        configuration.workerRetention = .seconds(60)
        let journal = try PostgresJournal(configuration: configuration, logger: Fleet.logger)
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        _ = try await journal.recover()
        try await fleet.value(
            """
            INSERT INTO $s.workers (id, name, host, pid, lease_ms, phase, heartbeat_at) VALUES
            ('00000000-0000-0000-0000-000000000001', 'gone', 'h', 1, 2000, 'stopped',
                clock_timestamp() - interval '2 hours'),
            ('00000000-0000-0000-0000-000000000002', 'holding', 'h', 2, 2000000000, 'running',
                clock_timestamp() - interval '2 hours'),
            ('00000000-0000-0000-0000-000000000003', 'recent', 'h', 3, 2000, 'stopped',
                clock_timestamp() - interval '5 seconds');
            -- A lease of 23 days: silent for 2 hours, yet not dead, so no sweep rescues its job meanwhile.
            INSERT INTO $s.jobs (kind, payload, state, worker_id)
                VALUES ('a', '\\x00', 'running', '00000000-0000-0000-0000-000000000002');
            """)
        // The service's own sweep may have pruned first: what counts is what is left.
        #expect((0...1).contains(try await journal.prune()))
        #expect(
            try await fleet.value("SELECT string_agg(name, ',' ORDER BY name) FROM $s.workers")
                == "holding,janitor,recent")
        #expect(try await journal.prune() == 0, "a second prune finds nothing")
    }

    @Test("a schema newer than this build is refused with a clear error")
    func newerSchema() async throws {
        let fleet = try await Fleet()
        let journal = try fleet.journal()
        try await journal.migrate()
        try await fleet.value("INSERT INTO $s.schema_version VALUES (99)")
        let error = await #expect(throws: DrainError.self) { try await fleet.journal().migrate() }
        #expect(error?.code == .journal)
        #expect(error?.cause?.contains("version 99, newer than this build's 6") == true, "\(String(describing: error))")
    }
}
