import Drain
import DrainSQLite
import Foundation
import Testing

@Suite("SQLite journal")
struct JournalTests {
    let path: String

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("j.sqlite").path
    }

    @Test("append, claim and settle move jobs through their states and count attempts")
    func lifecycle() async throws {
        let journal = try SQLiteJournal(path: path)
        let ids = try await journal.append([NewJob(kind: "a", payload: Data([1])), NewJob(kind: "b", payload: Data())])
        #expect(ids == [1, 2])
        let claimed = try await journal.claim(limit: 5)
        #expect(claimed.map(\.id) == [1, 2])
        #expect(claimed.map(\.attempt) == [1, 1])
        #expect(claimed[0].payload == Data([1]))
        try await journal.settle([JobOutcome(id: 1, result: .done), JobOutcome(id: 2, result: .requeued)])
        #expect(try await journal.counts() == JournalCounts(queued: 1, running: 0, done: 1, failed: 0))
        let again = try await journal.claim(limit: 5)
        #expect(again.map(\.attempt) == [2])
        try await journal.settle([JobOutcome(id: 2, result: .failed("boom"))])
        #expect(try await journal.counts() == JournalCounts(queued: 0, running: 0, done: 1, failed: 1))
    }

    @Test("a released claim goes back to queued without counting the attempt")
    func release() async throws {
        let journal = try SQLiteJournal(path: path)
        _ = try await journal.append([NewJob(kind: "a", payload: Data())])
        _ = try await journal.claim(limit: 1)
        try await journal.settle([JobOutcome(id: 1, result: .released)])
        #expect(try await journal.claim(limit: 1).first?.attempt == 1)
    }

    @Test("rows left running by a dead process are recovered on the next open")
    func recoverAfterCrash() async throws {
        do {
            let journal = try SQLiteJournal(path: path)
            _ = try await journal.append((0..<3).map { _ in NewJob(kind: "a", payload: Data()) })
            _ = try await journal.claim(limit: 2)
        }
        let reopened = try SQLiteJournal(path: path)
        #expect(try await reopened.counts().running == 2)
        #expect(try await reopened.recover() == 2)
        #expect(try await reopened.counts() == JournalCounts(queued: 3))
        #expect(try await reopened.claim(limit: 1).first?.attempt == 2)
    }

    @Test("closing leaves the WAL for the next open instead of checkpointing; relaxed outcomes survive it")
    func closeKeepsWAL() async throws {
        do {
            let journal = try SQLiteJournal(path: path)
            _ = try await journal.append([NewJob(kind: "a", payload: Data()), NewJob(kind: "b", payload: Data())])
            _ = try await journal.claim(limit: 2)
            try await journal.settle([JobOutcome(id: 1, result: .done)])
        }
        // A checkpoint on close would have emptied and removed the WAL: the stop would have paid its fsyncs.
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(wal > 0)
        let reopened = try SQLiteJournal(path: path)
        #expect(try await reopened.recover() == 1)
        #expect(try await reopened.counts() == JournalCounts(queued: 1, running: 0, done: 1, failed: 0))
    }

    @Test("sync checkpoints relaxed writes into the database file, and costs nothing when there are none")
    func syncCheckpoints() async throws {
        let journal = try SQLiteJournal(path: path)
        _ = try await journal.append([NewJob(kind: "a", payload: Data())])
        _ = try await journal.claim(limit: 1)
        try await journal.settle([JobOutcome(id: 1, result: .done)])
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        try await journal.sync()
        let after = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        #expect(before != after, "the checkpoint writes the database file")
        try await journal.sync()
        let idle = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        #expect(idle == after, "a second sync with nothing relaxed does not touch the file")
    }

    @Test("a journal path in a missing directory is a clear journal error")
    func badPath() {
        let error = #expect(throws: DrainError.self) { try SQLiteJournal(path: "/nonexistent-dir/x/j.sqlite") }
        #expect(error?.code == .journal)
        #expect(error?.message.contains("/nonexistent-dir/x/j.sqlite") == true)
    }

    @Test("a file that is not SQLite is refused, not overwritten")
    func garbageFile() throws {
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: DrainError.self) { try SQLiteJournal(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 0x41, count: 4096))
    }
}
