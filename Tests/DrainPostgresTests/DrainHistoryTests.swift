import Drain
import DrainPostgres
import DrainTestSupport
import Foundation
import Testing

/// The fleet's drain history in the shared PostgreSQL journal, against the tests' private server.
@Suite("Drain history in the PostgreSQL journal", .timeLimit(.minutes(5)))
struct PostgresDrainHistoryTests {
    /// A forced drain's report, stopped `age` seconds ago, that requeued job `requeued`.
    static func report(name: String = "billing", pid: Int32 = 4242, age: Double = 0, requeued: JobID = 7)
        -> ShutdownReport
    {
        let stopped = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - age).rounded())
        let start = stopped.addingTimeInterval(-10)
        return ShutdownReport(
            outcome: .forced, name: name, pid: pid, drainStartedAt: start, stoppedAt: stopped, drainSeconds: 10,
            graceSeconds: 8, inFlightAtDrainStart: 2, completed: 1, failed: 0, cancelled: 1, requeued: 1,
            recovered: 0, rejected: 0, queued: 1,
            jobs: [.init(id: requeued, kind: "wait", ranSeconds: 15, fate: "cancelled", requeued: true)],
            timeline: DrainTimeline(
                drainStartedAt: start, forcedAt: start.addingTimeInterval(8),
                deadlines: [.init(at: start, deadline: start.addingTimeInterval(8))],
                lanes: [
                    .init(
                        id: requeued, kind: "wait", startedAt: start.addingTimeInterval(-5), endedAt: stopped,
                        fate: .cancelled, pMissAtStart: 0.8)
                ],
                forecast: .init(etaP50Seconds: 6, etaP90Seconds: nil, expectedMisses: 0.8)))
    }

    /// Runs `body` with a recovered journal of `fleet` named `name`, its service running beside it.
    static func withJournal<T>(
        _ fleet: Fleet, name: String = "web-1", retention: DrainHistoryRetention = DrainHistoryRetention(),
        _ body: (PostgresJournal) async throws -> T
    ) async throws -> T {
        var configuration = try fleet.configuration(name: name)
        configuration.drainRetention = retention
        let journal = try PostgresJournal(configuration: configuration, logger: Fleet.logger)
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        _ = try await journal.recover()
        return try await body(journal)
    }

    @Test("a drain row names its worker, host, pid and fleet, and outlives the worker, report and all")
    func namesItsWorker() async throws {
        let fleet = try await Fleet()
        let report = Self.report()
        let (id, workerID) = try await Self.withJournal(fleet) { journal in
            (try await journal.recordDrain(report), journal.workerID)
        }
        let kept = try #require(id)
        #expect(
            try await fleet.value(
                "SELECT concat_ws('|', fleet, worker_id, worker, pid, outcome) FROM $s.drains WHERE id = \(kept)")
                == "\(fleet.schema)|\(workerID.uuidString.lowercased())|web-1|4242|forced")
        #expect(try await fleet.value("SELECT host <> '' FROM $s.drains") == "t")
        // A later worker (a restart) reads it back as it was written.
        try await Self.withJournal(fleet, name: "web-2") { journal in
            let entry = try #require(try await journal.drain(id: kept))
            var expected = report
            expected.historyID = kept
            #expect(entry.report == expected)
            #expect(entry.worker == "web-1" && entry.fleet == fleet.schema && entry.host?.isEmpty == false)
            let second = try await journal.recordDrain(Self.report(name: "other"))
            #expect(second.map { $0 > kept } == true, "IDs rise")
            #expect(try await journal.drainHistory().map(\.report.name) == ["other", "billing"])
        }
    }

    @Test("two fleets in one database do not see each other's drains")
    func fleetsApart() async throws {
        let blue = try await Fleet()
        let green = try await Fleet(server: blue.server)
        _ = try await Self.withJournal(blue, name: "blue-1") { try await $0.recordDrain(Self.report(name: "blue")) }
        try await Self.withJournal(green, name: "green-1") { journal in
            try await journal.recordDrain(Self.report(name: "green"))
            #expect(try await journal.drainHistory().map(\.report.name) == ["green"])
            #expect(try await journal.drainHistory().allSatisfy { $0.fleet == green.schema })
        }
        try await Self.withJournal(blue, name: "blue-2") { journal async throws in
            #expect(try await journal.drainHistory().map(\.report.name) == ["blue"])
        }
    }

    @Test("retention keeps the newest drains by count, and none older than the age")
    func retention() async throws {
        let fleet = try await Fleet()
        try await Self.withJournal(fleet, retention: DrainHistoryRetention(maxDrains: 3, maxAge: .seconds(3600))) {
            journal in
            for index in 0..<5 { try await journal.recordDrain(Self.report(name: "d\(index)")) }
            #expect(try await journal.drainHistory().map(\.report.name) == ["d4", "d3", "d2"])
            // A drain that stopped two hours ago is past the age: the next record prunes it.
            try await journal.recordDrain(Self.report(name: "old", age: 7200))
            try await journal.recordDrain(Self.report(name: "new"))
            #expect(try await journal.drainHistory().map(\.report.name) == ["new", "d4", "d3"])
        }
        #expect(DrainHistoryRetention() == DrainHistoryRetention(maxDrains: 100, maxAge: .seconds(30 * 24 * 3600)))
        #expect(try fleet.configuration().drainRetention == DrainHistoryRetention(), "the embedded journal's defaults")
    }

    @Test("a journal from before the history migrates, its jobs kept, and then keeps drains")
    func migratesOldJournal() async throws {
        let fleet = try await Fleet()
        let old = try fleet.journal()
        try await old.migrate(upTo: 5)
        try await fleet.value("INSERT INTO $s.jobs (kind, payload, state) VALUES ('quick', '\\x01', 'queued')")
        #expect(try await fleet.value("SELECT to_regclass('$s.drains') IS NULL") == "t")
        try await Self.withJournal(fleet) { journal async throws in
            #expect(try await journal.recordDrain(Self.report()) != nil)
            #expect(try await journal.drainHistory().count == 1)
            #expect(try await journal.counts().queued == 1)
        }
    }

    @Test("a pool on the PostgreSQL journal keeps its forced drain, and its final report and event carry the ID")
    func poolRecordsItsDrain() async throws {
        let fleet = try await Fleet()
        let worker = FleetWorker(
            try fleet.journal(name: "cutter"), name: "cutter", cancellationWindow: .milliseconds(50))
        try await worker.start()
        let events = worker.pool.events()
        let id = try await worker.pool.submit(kind: "wait")
        try await eventually("the job to start") { worker.startedIDs == [id] }
        _ = try worker.pool.drain(grace: .milliseconds(100))
        await worker.pool.waitUntilStopped()
        defer { worker.kill() }
        let report = try #require(worker.pool.report)
        let kept = try #require(report.historyID, "the final report names the drain's ID")
        var stoppedReport: ShutdownReport?
        for await event in events where event.report != nil { stoppedReport = event.report }
        #expect(stoppedReport?.historyID == kept, "the stopped event carries it too")
        let entry = try #require(try await worker.journal.drain(id: kept))
        // As the wire keeps it (dates to the millisecond).
        #expect(entry.report == (try JSONDecoder.drain.decode(ShutdownReport.self, from: report.jsonData())))
        #expect(entry.worker == "cutter" && entry.report.outcome == .forced)
        #expect(entry.report.jobs.map(\.id) == [id])
    }
}
