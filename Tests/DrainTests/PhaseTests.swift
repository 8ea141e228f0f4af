import Foundation
import Testing

@testable import Drain

@Suite("Phases, signals and deadlines", .timeLimit(.minutes(5)))
struct PhaseTests {
    // MARK: - Signals

    @Test("the first SIGTERM drains with the default grace and an idle pool stops clean")
    func firstSigtermDrains() async throws {
        let h = try PoolHarness(grace: .seconds(7))
        try await h.start()
        h.signals.yield(.terminate)
        try await h.finished()
        let report = try #require(h.pool.report)
        #expect(report.outcome == .clean)
        #expect(report.graceSeconds == 7)
        #expect(report.cause == .signal("SIGTERM"))
        #expect(h.pool.phase == .stopped)
    }

    @Test("in-flight jobs finish before the deadline: the drain is clean and queued jobs stay queued")
    func cleanDrain() async throws {
        let h = try PoolHarness(concurrency: 2)
        try await h.start()
        for _ in 0..<5 { try await h.pool.submit(kind: "wait") }
        try await eventually("two jobs started") { h.gate.arrivals == 2 }
        h.signals.yield(.terminate)
        try await eventually("draining") { h.pool.phase == .draining }
        let draining = h.snapshot()
        #expect(draining.inFlightAtDrainStart == 2)
        #expect(draining.secondsLeft == 10)
        #expect(draining.ready == false)
        h.gate.open()
        try await h.finished()
        let report = try #require(h.pool.report)
        #expect(report.outcome == .clean)
        #expect(report.completed == 2)
        #expect(report.requeued == 0)
        #expect(report.queued == 3)
        let counts = try await h.journal.counts()
        #expect(counts == JournalCounts(queued: 3, running: 0, done: 2, failed: 0))
    }

    @Test("the deadline forces the drain: jobs are cancelled, requeued in the journal and listed in the report")
    func deadlineForces() async throws {
        let h = try PoolHarness(concurrency: 2, grace: .seconds(5))
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await h.pool.submit(kind: "wait")
        try await eventually("jobs started") { h.gate.arrivals == 2 }
        try h.pool.drain()
        h.clock.advance(by: .seconds(4))
        #expect(h.pool.phase == .draining)
        h.clock.advance(by: .seconds(1))
        try await h.finished()
        let report = try #require(h.pool.report)
        #expect(report.outcome == .forced)
        #expect(report.cancelled == 2)
        #expect(report.requeued == 2)
        #expect(Set(report.jobs.map(\.fate)) == ["cancelled"])
        #expect(report.jobs.map(\.id).sorted() == [1, 2])
        let counts = try await h.journal.counts()
        #expect(counts.queued == 2)
        #expect(counts.running == 0)
    }

    @Test("a second SIGTERM forces the drain")
    func secondSigtermForces() async throws {
        let h = try PoolHarness(concurrency: 1)
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("job started") { h.gate.arrivals == 1 }
        h.signals.yield(.terminate)
        try await eventually("draining") { h.pool.phase == .draining }
        h.signals.yield(.terminate)
        try await h.finished()
        let report = try #require(h.pool.report)
        #expect(report.outcome == .forced)
        #expect(report.requeued == 1)
    }

    @Test("SIGQUIT forces at once, straight from running")
    func sigquitForces() async throws {
        let h = try PoolHarness(concurrency: 1)
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("job started") { h.gate.arrivals == 1 }
        h.signals.yield(.quit)
        try await h.finished()
        let report = try #require(h.pool.report)
        #expect(report.outcome == .forced)
        #expect(report.cause == .signal("SIGQUIT"))
        let phases = h.snapshot().recentEvents.filter { $0.kind == .phaseChanged }.map(\.phase)
        #expect(phases == [.draining, .forcing])
    }

    @Test("jobs that ignore cancellation are abandoned after the cancellation window and requeued")
    func abandonsStubbornJobs() async throws {
        let h = try PoolHarness(concurrency: 1, grace: .seconds(2), cancellationWindow: .seconds(3))
        try await h.start()
        try await h.pool.submit(kind: "stubborn")
        try await eventually("job started") { h.gate.arrivals == 1 }
        try h.pool.drain()
        h.clock.advance(by: .seconds(2))
        try await eventually("forcing") { h.pool.phase == .forcing }
        try await eventually("window timer armed") { h.clock.sleeperCount == 1 }
        h.clock.advance(by: .seconds(3))
        try await h.finished()
        let report = try #require(h.pool.report)
        #expect(report.outcome == .forced)
        #expect(report.jobs.map(\.fate) == ["abandoned"])
        #expect(try await h.journal.counts().queued == 1)
    }

    // MARK: - Deadline

    @Test("moving the deadline while draining extends and shortens it")
    func moveDeadline() async throws {
        let h = try PoolHarness(concurrency: 1, grace: .seconds(10))
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("job started") { h.gate.arrivals == 1 }
        try h.pool.drain()
        h.clock.advance(by: .seconds(6))
        try h.pool.moveDeadline(by: .seconds(10))
        #expect(h.snapshot().secondsLeft == 14)
        h.clock.advance(by: .seconds(6))
        #expect(h.pool.phase == .draining)
        try h.pool.moveDeadline(by: .seconds(-5))
        #expect(h.snapshot().secondsLeft == 3)
        #expect(h.snapshot().recentEvents.filter { $0.kind == .deadlineChanged }.count == 2)
        h.clock.advance(by: .seconds(3))
        try await h.finished()
        #expect(h.pool.report?.outcome == .forced)
    }

    @Test("a new grace while draining counts from now")
    func regraceCountsFromNow() async throws {
        let h = try PoolHarness(concurrency: 1, grace: .seconds(10))
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("job started") { h.gate.arrivals == 1 }
        try h.pool.drain(grace: .seconds(10))
        h.clock.advance(by: .seconds(8))
        try h.pool.drain(grace: .seconds(10))
        #expect(h.snapshot().secondsLeft == 10)
        #expect(h.snapshot().graceSeconds == 18)
        h.gate.open()
        try await h.finished()
        #expect(h.pool.report?.outcome == .clean)
    }

    @Test("moving the deadline is refused unless draining")
    func moveDeadlineRefused() async throws {
        let h = try PoolHarness()
        try await h.start()
        #expect(throws: DrainError.self) { try h.pool.moveDeadline(by: .seconds(5)) }
        #expect(throws: DrainError.self) { try h.pool.drain(grace: .seconds(-1)) }
        try h.pool.drain()
        try await h.finished()
    }

    // MARK: - Accepting work

    @Test("submit and tracked operations fail with a typed error once draining began")
    func refusedWhileDraining() async throws {
        let h = try PoolHarness(concurrency: 1)
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("job started") { h.gate.arrivals == 1 }
        try h.pool.drain()
        let submitError = await #expect(throws: DrainError.self) { try await h.pool.submit(kind: "quick") }
        #expect(submitError?.code == .notAccepting)
        let error = await #expect(throws: DrainError.self) { try await h.pool.track("request") { 1 } }
        #expect(error?.code == .notAccepting)
        #expect(h.snapshot().rejected == 2)
        h.gate.open()
        try await h.finished()
    }

    @Test("an unknown job kind is refused before it reaches the journal")
    func unknownKind() async throws {
        let h = try PoolHarness()
        try await h.start()
        let error = await #expect(throws: DrainError.self) { try await h.pool.submit(kind: "nope") }
        #expect(error?.code == .unknownKind)
        #expect(try await h.journal.counts() == JournalCounts())
        try h.pool.drain()
        try await h.finished()
    }

    @Test("lame duck reports not-ready but still accepts, then drains after the delay")
    func lameDuck() async throws {
        let h = try PoolHarness(concurrency: 1, grace: .seconds(10), lameDuck: .seconds(5))
        try await h.start()
        try h.pool.drain(cause: .signal("SIGTERM"))
        #expect(h.pool.phase == .lameDuck)
        #expect(h.snapshot().ready == false)
        try await h.pool.submit(kind: "quick")
        try await eventually("the job ran in lame duck") { h.snapshot().completed == 1 }
        try await eventually("lame duck timer armed") { h.clock.sleeperCount == 1 }
        h.clock.advance(by: .seconds(5))
        try await h.finished()
        let report = try #require(h.pool.report)
        #expect(report.outcome == .clean)
        let phases = h.snapshot().recentEvents.filter { $0.kind == .phaseChanged }.map(\.phase)
        #expect(phases == [.lameDuck, .draining])
    }

    @Test("a full queue makes submit wait for room, and a drain refuses the waiter")
    func backPressure() async throws {
        let h = try PoolHarness(concurrency: 1, maxQueued: 2)
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("first job started") { h.gate.arrivals == 1 }
        try await h.pool.submit(kind: "wait")
        try await h.pool.submit(kind: "wait")
        let pool = h.pool
        let waiter = Task { try await pool.submit(kind: "quick") }
        try await eventually("the submit waits for room") { pool.waitingSubmits == 1 }
        #expect(h.snapshot().queued == 2)
        try h.pool.drain()
        let result = await waiter.result
        #expect(throws: DrainError.self) { try result.get() }
        #expect(try await h.journal.counts().queued == 2)
        h.gate.open()
        try await h.finished()
    }

    @Test("a full queue admits the waiting submit once a job starts")
    func backPressureAdmits() async throws {
        let h = try PoolHarness(concurrency: 1, maxQueued: 1)
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("first job started") { h.gate.arrivals == 1 }
        try await h.pool.submit(kind: "wait")
        let pool = h.pool
        let waiter = Task { try await pool.submit(kind: "quick") }
        h.gate.open()
        let id = try await waiter.value
        #expect(id == 3)
        try h.pool.drain()
        try await h.finished()
        // Job 3 was accepted; whether it started before the drain or stays queued, it is not lost.
        let report = try #require(h.pool.report)
        #expect(report.completed + report.queued == 3)
    }

    // MARK: - Tracked operations and failures

    @Test("a tracked operation holds the drain open and forcing cancels it without requeueing")
    func trackedOperation() async throws {
        let h = try PoolHarness(grace: .seconds(3))
        try await h.start()
        let gate = h.gate
        let pool = h.pool
        let request = Task { try await pool.track("GET /slow") { try await gate.pass() } }
        try await eventually("operation started") { gate.arrivals == 1 }
        #expect(h.snapshot().inFlightOperations == 1)
        try h.pool.drain()
        #expect(h.pool.phase == .draining)
        h.clock.advance(by: .seconds(3))
        try await h.finished()
        await #expect(throws: CancellationError.self) { try await request.value }
        let report = try #require(h.pool.report)
        #expect(report.outcome == .forced)
        #expect(report.cancelled == 1)
        #expect(report.requeued == 0)
    }

    @Test("a failing job is recorded failed, not retried")
    func failingJob() async throws {
        let h = try PoolHarness()
        try await h.start()
        try await h.pool.submit(kind: "broken")
        try await eventually("job failed") { h.snapshot().failed == 1 }
        #expect(h.snapshot().recentEvents.contains { $0.kind == .jobFailed })
        try h.pool.drain()
        try await h.finished()
        #expect(try await h.journal.counts().failed == 1)
    }

    @Test("run() twice is refused")
    func runTwice() async throws {
        let h = try PoolHarness()
        try await h.start()
        await #expect(throws: DrainError.self) { try await h.pool.run() }
        try h.pool.drain()
        try await h.finished()
    }
}
