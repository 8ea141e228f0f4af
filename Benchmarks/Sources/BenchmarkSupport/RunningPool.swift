import Drain
import DrainSQLite
import Foundation
import Logging
import Synchronization

/// A pool started for a benchmark, with a counter of finished jobs to wait on.
public final class RunningPool: Sendable {
    public let pool: WorkerPool
    let directory: URL?
    private let task: Task<Void, any Error>
    private let finished = Counter()

    /// - Parameters:
    ///   - durable: A SQLite journal in a temporary directory; otherwise a ``MemoryJournal``.
    ///   - concurrency: Jobs run at once.
    ///   - hold: Jobs sleep until cancelled, to keep them in flight; otherwise they return at once.
    public init(durable: Bool, concurrency: Int, maxQueued: Int, hold: Bool = false) throws {
        let journal: any JobJournal
        if durable {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("drain-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            journal = try SQLiteJournal(path: directory.appendingPathComponent("journal.sqlite").path)
            self.directory = directory
        } else {
            journal = MemoryJournal()
            directory = nil
        }
        var configuration = WorkerPoolConfiguration(name: "bench")
        configuration.maxConcurrentJobs = concurrency
        configuration.maxQueuedJobs = maxQueued
        configuration.cancellationWindow = .milliseconds(100)
        let pool = WorkerPool(
            configuration: configuration, journal: journal,
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let finished = self.finished
        if hold {
            pool.register(kind: "hold") { _ in try await Task.sleep(for: .seconds(86_400)) }
        } else {
            pool.register(kind: "noop") { _ in finished.value.add(1, ordering: .relaxed) }
        }
        self.pool = pool
        task = Task { try await pool.run() }
    }

    public var completed: Int { finished.value.load(ordering: .relaxed) }

    /// Submits `count` jobs from `submitters` concurrent tasks and waits until every one has finished.
    public func runJobs(_ count: Int, submitters: Int) async throws {
        let target = completed + count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for s in 0..<submitters {
                let share = count / submitters + (s < count % submitters ? 1 : 0)
                group.addTask {
                    for _ in 0..<share { try await self.pool.submit(kind: "noop") }
                }
            }
            try await group.waitForAll()
        }
        while completed < target { await Task.yield() }
    }

    /// Submits `count` holding jobs and waits until all are in flight.
    public func fill(_ count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for s in 0..<16 {
                group.addTask {
                    for _ in stride(from: s, to: count, by: 16) { try await self.pool.submit(kind: "hold") }
                }
            }
            try await group.waitForAll()
        }
        while pool.snapshot().inFlightJobs < count { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Forces the pool down and removes its journal.
    public func stop() async {
        pool.force()
        _ = try? await task.value
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}

/// Jobs finished, shared with the handlers.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
