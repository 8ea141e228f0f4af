import DrainTestSupport
import Foundation
import Testing

@testable import Drain

/// The snapshot the pool publishes once per tick and at once on a phase change or a deadline move, and the
/// bounded forecast it carries. Time is the manual clock's: nothing here waits for wall time to pass.
@Suite("Published snapshots", .timeLimit(.minutes(5)))
struct SnapshotTickTests {
    static let tick = Duration.milliseconds(100)

    // MARK: Ticks

    @Test("a published snapshot is never older than one tick plus the time to build it")
    func neverOlderThanATick() async throws {
        let h = try PoolHarness(snapshotInterval: Self.tick)
        try await h.start()
        for _ in 0..<4 { _ = try await h.pool.submit(kind: "wait") }
        try await eventually("jobs running") { h.snapshot().inFlight == 4 }
        // Steps that land before, on and past the tick, so ticks fire early, late and not at all in a step.
        let steps: [Duration] = [
            .milliseconds(30), .milliseconds(70), .milliseconds(100), .milliseconds(250),
            .milliseconds(10), .milliseconds(90), .milliseconds(1), .milliseconds(199),
        ]
        for step in steps + steps {
            h.clock.advance(by: step)
            let now = h.clock.now.offset
            // The tick due in this step runs on its own task: wait for it, then check it is the newest state.
            // The manual clock stands still while it builds, so "the time to build it" is zero here.
            let latest = try await DrainTestSupport.eventuallyValue("a snapshot at most a tick old at \(now)") {
                let latest = h.pool.latestSnapshot()
                return now - latest.takenAt <= Self.tick ? latest : nil
            }
            #expect(latest.takenAt <= now)
            // The snapshot carries the time it was taken: its uptime is the pool clock's offset then.
            #expect(latest.snapshot.uptimeSeconds == latest.takenAt.seconds)
            // A tick after the jobs started sees them all.
            if latest.takenAt > .zero { #expect(latest.snapshot.inFlight == 4) }
        }
        h.gate.open()
    }

    @Test("ticks publish the state as it changes, and stop when the pool stops")
    func ticksFollowTheState() async throws {
        let h = try PoolHarness(snapshotInterval: Self.tick)
        try await h.start()
        _ = try await h.pool.submit(kind: "wait")
        try await eventually("job running") { h.snapshot().inFlight == 1 }
        let before = h.pool.latestSnapshot()
        h.clock.advance(by: Self.tick)
        let after = try await DrainTestSupport.eventuallyValue("the next tick") {
            let latest = h.pool.latestSnapshot()
            return latest.seq > before.seq ? latest : nil
        }
        #expect(after.snapshot.inFlight == 1)
        #expect(after.takenAt == h.clock.now.offset)
        h.gate.open()
        _ = try h.pool.drain(grace: .seconds(5))
        try await h.finished()
        // The stop publishes the final state; the tick it leaves armed is cancelled with the timers.
        #expect(h.pool.latestSnapshot().snapshot.phase == .stopped)
        try await eventually("no tick left armed") { h.clock.sleeperCount == 0 }
    }

    // MARK: Changes published at once

    @Test("a phase change is visible in the very next status, without waiting for a tick")
    func phaseChangeAtOnce() async throws {
        let h = try PoolHarness(snapshotInterval: .seconds(3600))
        try await h.start()
        _ = try await h.pool.submit(kind: "wait")
        try await eventually("job running") { h.snapshot().inFlight == 1 }
        let running = h.pool.latestSnapshot()
        #expect(running.snapshot.phase == .running)
        // The clock stands still: no tick can fire, so only the change itself can have published.
        _ = try h.pool.drain(grace: .seconds(30))
        let draining = h.pool.latestSnapshot()
        #expect(draining.snapshot.phase == .draining)
        #expect(draining.snapshot.graceSeconds == 30)
        #expect(draining.snapshot.inFlightAtDrainStart == 1)
        try h.pool.moveDeadline(by: .seconds(15))
        let moved = h.pool.latestSnapshot()
        #expect(moved.seq > draining.seq)
        #expect(moved.snapshot.graceSeconds == 45)
        #expect(moved.snapshot.recentEvents.last?.kind == .deadlineChanged)
        h.pool.force()
        #expect(h.pool.latestSnapshot().snapshot.phase == .forcing)
        h.gate.open()
        try await h.finished()
    }

    @Test("a phase change the deadline timer makes is published by the timer, not the next tick")
    func timerPhaseChange() async throws {
        let h = try PoolHarness(grace: .seconds(2), snapshotInterval: .seconds(3600))
        try await h.start()
        _ = try await h.pool.submit(kind: "stubborn")
        try await eventually("job running") { h.snapshot().inFlight == 1 }
        _ = try h.pool.drain()
        h.clock.advance(by: .seconds(2))
        // No tick is due for an hour: only the timer's own transition can publish `forcing`.
        try await eventually("forcing published") { h.pool.latestSnapshot().snapshot.phase == .forcing }
        h.gate.open()
        try await h.finished()
    }

    // MARK: The bounded forecast

    /// A drain with jobs of three kinds started over two hours, one start second in three.
    private func predictions(exact: Bool, timeLeft: Double?) -> SnapshotPredictions {
        let now = 7_200.0
        var buckets: [String: [Int64: Int]] = [:]
        for second in stride(from: Int64(0), to: 7_200, by: 30) {
            buckets["short", default: [:]][second] = Int(second % 7) + 1
            if second % 2 == 0 { buckets["long", default: [:]][second] = 2 }
        }
        for second in Int64(7_150)..<7_200 { buckets["fresh", default: [:]][second] = 3 }
        let listed = (0..<10).map {
            SnapshotPredictions.Listed(kind: "short", age: now - Double($0 * 30), bucket: Int64($0 * 30))
        }
        return SnapshotPredictions(
            samples: [
                "short": (1...200).map { 20 + Double($0) * 40 },
                "long": (1...200).map { 600 + Double($0) * 30 },
            ],
            declared: ["fresh": DeclaredDuration(median: .seconds(40), p90: .seconds(120))!], listed: listed,
            buckets: buckets, now: now, timeLeft: timeLeft, defaultGrace: 300, priorMedian: 5, exact: exact)
    }

    @Test(
        "the per-tick forecast equals the per-start-second one within the documented tolerance",
        arguments: [nil, 60.0, 600.0, 3_600.0])
    func boundedForecastTolerance(timeLeft: Double?) throws {
        let grouped = predictions(exact: false, timeLeft: timeLeft).compute()
        let exact = predictions(exact: true, timeLeft: timeLeft).compute()
        // The listed jobs are predicted on their own either way; the rest weigh in through the ETA and, as
        // runs known to last at least their age, through each kind's curve.
        #expect(grouped.jobs.count == exact.jobs.count)
        for (g, e) in zip(grouped.jobs, exact.jobs) { #expect(g.source == e.source) }
        let tolerance = SnapshotPredictions.forecastTolerance
        func close(_ a: Double?, _ b: Double?, _ what: String) {
            guard let a, let b else {
                #expect(a == nil && b == nil, "\(what): \(String(describing: a)) vs \(String(describing: b))")
                return
            }
            #expect(abs(a - b) <= tolerance * max(1, abs(b)), "\(what): \(a) grouped vs \(b) exact")
        }
        close(grouped.forecast.expectedMisses, exact.forecast.expectedMisses, "expected misses")
        close(grouped.forecast.etaP50, exact.forecast.etaP50, "ETA p50")
        close(grouped.forecast.etaP90, exact.forecast.etaP90, "ETA p90")
        close(grouped.etaUnbounded, exact.etaUnbounded, "unbounded ETA")
        close(grouped.suggestedGrace, exact.suggestedGrace, "suggested grace")
        for (g, e) in zip(grouped.jobs, exact.jobs) {
            close(g.pMiss, e.pMiss, "a listed job's P(miss)")
            close(g.remainingP50, e.remainingP50, "a listed job's remaining time")
        }
    }

    @Test("a kind's unlisted jobs make a bounded number of age groups, however many seconds they started in")
    func groupsAreBounded() {
        let input = predictions(exact: false, timeLeft: nil)
        var seconds: [Int64: Int] = [:]
        for second in Int64(0)..<86_400 { seconds[second] = 1_000 }
        let day = SnapshotPredictions(
            samples: [:], declared: [:], listed: [], buckets: [:], now: 86_400, timeLeft: nil, defaultGrace: 30,
            priorMedian: 5)
        let groups = day.groups(kind: "k", seconds)
        #expect(groups.count <= SnapshotPredictions.maxGroupsPerKind)
        #expect(groups.reduce(0) { $0 + $1.count } == 86_400_000)
        // Every job's age lies within the documented error of its group's age.
        #expect(SnapshotPredictions.maxAgeError < 0.045)
        // The same seconds, predicted exactly, make one group each: that is the cost the grouping removes.
        var exact = day
        exact.exact = true
        #expect(exact.groups(kind: "k", seconds).count == 86_400)
        _ = input
    }
}
