import Drain
import Foundation
import Testing

@Suite("Duration history in the journal", .timeLimit(.minutes(1)))
struct HistoryTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    @Test("the journal returns the newest finished runs per kind, newest first, without requeued or queued jobs")
    func journalDurations() async throws {
        let path = directory.appendingPathComponent("j.sqlite").path
        do {
            let journal = try SQLiteJournal(path: path)
            let ids = try await journal.append((0..<6).map { NewJob(kind: $0 < 4 ? "a" : "b", payload: Data()) })
            _ = try await journal.claim(limit: 6)
            try await Task.sleep(for: .milliseconds(120))
            try await journal.settle([
                JobOutcome(id: ids[0], result: .done), JobOutcome(id: ids[1], result: .failed("boom")),
                JobOutcome(id: ids[2], result: .done), JobOutcome(id: ids[3], result: .requeued),
                JobOutcome(id: ids[4], result: .done),
            ])
            // ids[5] stays running, as a crashed process would leave it.
        }
        let reopened = try SQLiteJournal(path: path)
        let durations = try await reopened.recentDurations(limit: 2)
        #expect(Set(durations.keys) == ["a", "b"])
        #expect(durations["a"]?.count == 2)
        #expect(durations["b"]?.count == 1)
        for seconds in durations.values.flatMap({ $0 }) { #expect(seconds >= 0.1 && seconds < 5) }
        #expect(try await reopened.recentDurations(limit: 10)["a"]?.count == 3)
        #expect(try await reopened.recentDurations(limit: 0).isEmpty)
    }

    @Test("a restarted pool predicts from what its predecessor observed")
    func restart() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let first = try PoolHarness(concurrency: 12, journalDirectory: directory)
            try await first.start()
            for _ in 0..<12 { try await first.pool.submit(kind: "wait", payload: Data([1])) }
            try await eventually("started") { first.gates[1].arrivals == 12 }
            try await Task.sleep(for: .milliseconds(150))
            first.gates[1].open()
            try await eventually("done") { first.snapshot().completed == 12 }
            let kind = try #require(first.snapshot().kinds.first { $0.kind == "wait" })
            #expect(kind.predictionSource == .history)
            try first.pool.drain()
            try await first.finished()
        }
        let second = try PoolHarness(journalDirectory: directory)
        try await second.start()
        let kind = try #require(second.snapshot().kinds.first { $0.kind == "wait" })
        #expect(kind.samples == 12)
        #expect(kind.predictionSource == .history)
        // Measured by the journal's wall clock: the 150 ms the jobs were held, not the harness's manual clock.
        let p50 = try #require(kind.p50Seconds)
        #expect(p50 >= 0.14 && p50 < 5)
        try await second.pool.submit(kind: "wait")
        try await eventually("started") { second.gate.arrivals == 1 }
        #expect(second.snapshot().oldestJobs.first?.predictionSource == .history)
        try second.pool.drain()
        second.gate.open()
        try await second.finished()
    }
}
