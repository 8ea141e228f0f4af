import Drain
import DrainSQLite
import Foundation
import Testing

@Suite("Duration history in the journal", .timeLimit(.minutes(5)))
struct JournalHistoryTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    @Test("the journal returns the newest finished runs per kind, newest first, without requeued or queued jobs")
    func journalDurations() async throws {
        let path = directory.appendingPathComponent("j.sqlite").path
        var claimed = Date()
        var settled = Date()
        do {
            let journal = try SQLiteJournal(path: path)
            let ids = try await journal.append((0..<6).map { NewJob(kind: $0 < 4 ? "a" : "b", payload: Data()) })
            claimed = Date()
            _ = try await journal.claim(limit: 6)
            try await Task.sleep(for: .milliseconds(120))
            try await journal.settle([
                JobOutcome(id: ids[0], result: .done), JobOutcome(id: ids[1], result: .failed("boom")),
                JobOutcome(id: ids[2], result: .done), JobOutcome(id: ids[3], result: .requeued),
                JobOutcome(id: ids[4], result: .done),
            ])
            settled = Date()
            // ids[5] stays running, as a crashed process would leave it.
        }
        let reopened = try SQLiteJournal(path: path)
        let durations = try await reopened.recentDurations(limit: 2)
        #expect(Set(durations.keys) == ["a", "b"])
        #expect(durations["a"]?.count == 2)
        #expect(durations["b"]?.count == 1)
        // From the claim to the settle: at least the 120 ms between them, at most what the test saw pass
        // (however long a loaded machine took; the journal's clock is the same wall clock).
        let observed = settled.timeIntervalSince(claimed) + 0.01
        for seconds in durations.values.flatMap({ $0 }) {
            #expect(seconds >= 0.1 && seconds <= observed, "\(seconds) s, \(observed) s seen by the test")
        }
        #expect(try await reopened.recentDurations(limit: 10)["a"]?.count == 3)
        #expect(try await reopened.recentDurations(limit: 0).isEmpty)
    }

    @Test("runs a forced drain cut come back after a restart as censored runs, finished ones as samples")
    func forcedRunsComeBackCensored() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("j.sqlite").path
        do {
            let journal = try SQLiteJournal(path: path)
            let ids = try await journal.append((0..<4).map { _ in NewJob(kind: "wait", payload: Data()) })
            _ = try await journal.claim(limit: 4)
            try await journal.settle([JobOutcome(id: ids[0], result: .done)])
            try await Task.sleep(for: .milliseconds(300))
            // What a forced drain writes: two runs cut, one claimed but never started.
            try await journal.settle([
                JobOutcome(id: ids[1], result: .requeued), JobOutcome(id: ids[2], result: .requeued),
                JobOutcome(id: ids[3], result: .released),
            ])
        }
        let journal = try SQLiteJournal(path: path)
        let runs = try #require(try await journal.recentRuns(limit: 10)["wait"])
        #expect(runs.map(\.censored) == [true, true, false], "newest first: the cuts came after the finished run")
        // Measured by the journal's wall clock, from the claim to the requeue.
        for run in runs where run.censored { #expect(run.seconds >= 0.29 && run.seconds < 30, "\(run.seconds)") }
        #expect(try await journal.recentRuns(limit: 1)["wait"]?.count == 1)
        #expect(try await journal.recentDurations(limit: 10)["wait"]?.count == 1, "finished runs only, as before")
        #expect(try await journal.counts() == JournalCounts(queued: 3, done: 1))
    }

    @Test("a journal written before cut runs were kept opens, gains the table, and keeps its history")
    func oldJournalMigrates() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("old.sqlite").path
        // The file as the previous build left it: only migration v1, one finished and one queued job.
        try OldJournal.write(
            at: path, migrations: 1,
            rows:
                "INSERT INTO jobs (kind, payload, state, attempts, enqueued_at, started_at, finished_at) VALUES ('a', x'', 'done', 1, 100, 100, 102.5), ('a', x'01', 'queued', 0, 100, NULL, NULL)"
        )
        let journal = try SQLiteJournal(path: path)
        #expect(try await journal.recentRuns(limit: 10)["a"] == [RunDuration(seconds: 2.5)])
        let claimed = try await journal.claim(limit: 1)
        #expect(claimed.map(\.payload) == [Data([1])], "the queued job written by the old build is still there")
        try await journal.settle(claimed.map { JobOutcome(id: $0.id, result: .requeued) })
        let runs = try #require(try await journal.recentRuns(limit: 10)["a"])
        #expect(runs.map(\.censored) == [true, false], "the new table records the cut, newest first")
        #expect(try await journal.counts() == JournalCounts(queued: 1, done: 1))
    }
}
