import Drain
import Foundation
import Synchronization
import Testing

/// The pool runs no foreign code under its lock: cancellation handlers, cancel closures and subscribers
/// may call back into it without deadlocking, and events still leave in `seq` order.
@Suite("Lock discipline", .timeLimit(.minutes(5)))
struct LockDisciplineTests {
    @Test("a job's cancellation handler that calls back into the pool does not deadlock a forced drain")
    func reentrantJobCancellation() async throws {
        let h = try PoolHarness()
        let pool = h.pool
        let gate = h.gate
        let seen = Mutex<DrainPhase?>(nil)
        pool.register(kind: "reentrant") { _ in
            try await withTaskCancellationHandler {
                try await gate.pass()
            } onCancel: {
                // Both take the pool's lock: under it, this would never return.
                let snapshot = pool.snapshot()
                seen.withLock { $0 = snapshot.phase == pool.phase ? snapshot.phase : nil }
            }
        }
        try await h.start()
        try await pool.submit(kind: "reentrant")
        try await eventually("the job started") { gate.arrivals == 1 }
        pool.force()
        try await eventually("the cancellation handler ran") { seen.withLock { $0 } != nil }
        #expect(seen.withLock { $0 } == .forcing)
        try await h.finished()
        #expect(pool.report?.outcome == .forced)
        #expect(pool.report?.requeued == 1)
    }

    @Test("a tracked operation's cancellation handler that reads the pool does not deadlock a forced drain")
    func reentrantOperationCancellation() async throws {
        let h = try PoolHarness()
        let pool = h.pool
        let seen = Mutex<DrainPhase?>(nil)
        try await h.start()
        let operation = Task {
            try await pool.track("request") {
                try await withTaskCancellationHandler {
                    try await Task.sleep(for: .seconds(60))
                } onCancel: {
                    seen.withLock { $0 = pool.phase }
                }
            }
        }
        try await eventually("the operation is in flight") { pool.snapshot().inFlightOperations == 1 }
        pool.force()
        try await eventually("the cancel handler ran") { seen.withLock { $0 } != nil }
        #expect(seen.withLock { $0 } == .forcing)
        await #expect(throws: CancellationError.self) { try await operation.value }
        try await h.finished()
    }

    @Test("events recorded from many threads at once reach a subscriber once each, in seq order")
    func eventsInOrder() async throws {
        let h = try PoolHarness()
        let pool = h.pool
        try await h.start()
        let events = pool.events()
        let writers = 4
        let perWriter = 40
        let collected = Task {
            var seqs: [Int] = []
            for await event in events where event.kind == .command {
                seqs.append(event.seq)
                if seqs.count == writers * perWriter { break }
            }
            return seqs
        }
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<perWriter {
                        pool.audit("writer \(writer) #\(index)", cause: .application)
                    }
                }
            }
        }
        let seqs = await collected.value
        #expect(seqs.count == writers * perWriter)
        #expect(seqs == seqs.sorted(), "events out of order")
        #expect(Set(seqs).count == seqs.count, "an event arrived twice")
        #expect(seqs.last.map { $0 - seqs[0] + 1 } == seqs.count, "an event is missing")
        pool.force()
        try await h.finished()
    }
}
