import Drain
import Foundation
import Synchronization

/// A journal that keeps rows in memory, so a benchmark measures the pool's own bookkeeping and not
/// SQLite's fsync. Not durable: it exists for measurement only.
public final class MemoryJournal: JobJournal {
    public init() {}

    private struct Rows {
        var next: JobID = 1
        var queued: [(JobID, NewJob)] = []
        var head = 0
        var running = 0
        var done = 0
    }

    private let rows = Mutex(Rows())

    public func recover() async throws -> Int { 0 }

    public func append(_ jobs: [NewJob]) async throws -> [JobID] {
        rows.withLock { rows in
            jobs.map { job in
                let id = rows.next
                rows.next += 1
                rows.queued.append((id, job))
                return id
            }
        }
    }

    public func claim(limit: Int) async throws -> [Job] {
        rows.withLock { rows in
            let end = min(rows.queued.count, rows.head + limit)
            let jobs = rows.queued[rows.head..<end].map {
                Job(id: $0.0, kind: $0.1.kind, payload: $0.1.payload, attempt: 1)
            }
            rows.head = end
            rows.running += jobs.count
            if rows.head > 4096, rows.head * 2 > rows.queued.count {
                rows.queued.removeFirst(rows.head)
                rows.head = 0
            }
            return jobs
        }
    }

    public func settle(_ outcomes: [JobOutcome]) async throws {
        rows.withLock { rows in
            rows.running -= outcomes.count
            rows.done += outcomes.count
        }
    }

    public func counts() async throws -> JournalCounts {
        rows.withLock { JournalCounts(queued: $0.queued.count - $0.head, running: $0.running, done: $0.done) }
    }
}
