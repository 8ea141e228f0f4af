import Drain
import DrainSQLite
import Foundation
import Testing

@Suite("Drain history in the SQLite journal", .timeLimit(.minutes(5)))
struct DrainHistoryTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("drains-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A forced drain's report, stopped `age` seconds ago, with one cut lane.
    static func report(name: String = "billing", age: Double = 0, cut: Int = 1) -> ShutdownReport {
        let stopped = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - age).rounded())
        let start = stopped.addingTimeInterval(-10)
        var lanes: [DrainTimeline.Lane] = []
        for index in 0..<(cut + 1) {
            let first = index == 0
            let ended: Date = first ? start.addingTimeInterval(2) : stopped
            let fate: DrainTimeline.Fate = first ? .done : .cancelled
            let id = JobID(index + 1)
            lanes.append(
                DrainTimeline.Lane(
                    id: id, kind: "wait", startedAt: start.addingTimeInterval(-5), endedAt: ended, fate: fate,
                    pMissAtStart: 0.5))
        }
        return ShutdownReport(
            outcome: cut > 0 ? .forced : .clean, name: name, pid: 4242, cause: nil, drainStartedAt: start,
            stoppedAt: stopped, drainSeconds: 10, graceSeconds: 8, inFlightAtDrainStart: cut + 1, completed: 1,
            failed: 0, cancelled: cut, requeued: cut, recovered: 0, rejected: 0, queued: cut,
            jobs: (0..<cut).map {
                ShutdownReport.JobEntry(
                    id: JobID($0 + 2), kind: "wait", ranSeconds: 15, fate: "cancelled", requeued: true)
            },
            timeline: DrainTimeline(
                drainStartedAt: start, forcedAt: start.addingTimeInterval(8),
                deadlines: [.init(at: start, deadline: start.addingTimeInterval(8))], lanes: lanes,
                forecast: .init(etaP50Seconds: 6, etaP90Seconds: nil, expectedMisses: 1.5)))
    }

    @Test("a drain kept in the history survives a restart, report and all")
    func survivesRestart() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("j.sqlite").path
        let report = Self.report()
        do {
            let journal = try SQLiteJournal(path: path)
            try await journal.recordDrain(report)
            try await journal.recordDrain(Self.report(name: "second", cut: 0))
        }
        let reopened = try SQLiteJournal(path: path)
        let history = try await reopened.drainHistory()
        #expect(history.map(\.report.name) == ["second", "billing"], "newest first")
        #expect(history.map(\.id) == [2, 1])
        // Kept before its ID was given; read back, the report names it, as `drainctl report` shows it.
        var named = report
        named.historyID = 1
        #expect(history.last?.report == named, "the report comes back as it was kept, timeline included")
        #expect(history.last?.host == ProcessInfo.processInfo.hostName)
        #expect(try await reopened.drain(id: 1)?.report == named)
        #expect(try await reopened.drain(id: 99) == nil)
    }

    @Test("retention keeps the newest drains by count, and drops drains older than the age")
    func retentionPrunes() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("j.sqlite").path
        let journal = try SQLiteJournal(
            path: path, retention: DrainHistoryRetention(maxDrains: 3, maxAge: .seconds(3600)))
        for index in 0..<5 { try await journal.recordDrain(Self.report(name: "d\(index)")) }
        #expect(try await journal.drainHistory().map(\.report.name) == ["d4", "d3", "d2"])
        // Two hours old: past the age as soon as it is kept.
        try await journal.recordDrain(Self.report(name: "old", age: 7200))
        try await journal.recordDrain(Self.report(name: "new"))
        #expect(try await journal.drainHistory().map(\.report.name) == ["new", "d4", "d3"])
        #expect(DrainHistoryRetention() == DrainHistoryRetention(maxDrains: 100, maxAge: .seconds(30 * 86_400)))
    }

    @Test("a journal written before the drain history opens, gains the table, and keeps its jobs")
    func oldJournalMigrates() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("old.sqlite").path
        // The file as the previous build left it: migrations v1 and v2, one queued job.
        try OldJournal.write(
            at: path, migrations: 2,
            rows: "INSERT INTO jobs (kind, payload, state, enqueued_at) VALUES ('a', x'01', 'queued', 100)")
        let journal = try SQLiteJournal(path: path)
        #expect(try await journal.drainHistory().isEmpty)
        try await journal.recordDrain(Self.report())
        #expect(try await journal.drainHistory().count == 1)
        #expect(try await journal.counts() == JournalCounts(queued: 1))
    }
}
