import Drain
import Foundation
import Testing

@Suite("Snapshots", .timeLimit(.minutes(5)))
struct SnapshotTests {
    @Test("until the pool has read its journal, a snapshot says so instead of counting nothing queued")
    func loadedFlag() async throws {
        let h = try PoolHarness()
        #expect(h.snapshot().loaded == false)
        try await h.start()
        #expect(h.snapshot().loaded)
        let json = try #require(String(data: try JSONEncoder().encode(h.snapshot()), encoding: .utf8))
        #expect(json.contains("\"loaded\":true"))
    }

    @Test("a snapshot lists only the oldest in-flight jobs, oldest first, with exact totals")
    func oldestOnly() async throws {
        let h = try PoolHarness(concurrency: 120, maxQueued: 500)
        try await h.start()
        for _ in 0..<150 { try await h.pool.submit(kind: "wait") }
        try await eventually("120 started") { h.gate.arrivals == 120 }
        let snapshot = h.snapshot()
        #expect(snapshot.inFlight == 120)
        #expect(snapshot.queued == 30)
        #expect(snapshot.oldestJobs.count == 50)
        #expect(snapshot.oldestJobs.map(\.id) == Array(1...50))
        try h.pool.drain()
        h.gate.open()
        try await h.finished()
    }

    @Test("observed durations predict, per job, the chance of missing the deadline, and one ETA to match")
    func predictions() async throws {
        let h = try PoolHarness(concurrency: 12)
        try await h.start()
        try await h.learnFourSecondWaitJobs()
        try await h.pool.submit(kind: "wait", payload: Data([2]))
        try await h.pool.submit(kind: "wait", payload: Data([2]))
        try await eventually("new jobs started") { h.gates[2].arrivals == 2 }

        // Running: the planner says what the default 10 s grace would do; 4 s jobs fit in it.
        let running = h.snapshot()
        let plan = try #require(running.plan)
        #expect(plan.graceSeconds == 10)
        #expect(plan.expectedMisses < 0.5)
        let suggested = try #require(plan.suggestedGraceSeconds)
        #expect(suggested > 4 && suggested < 60)
        #expect(running.expectedMisses == nil)

        // Draining with 2 s: both fresh jobs are likely to miss, and the ETA is past the deadline.
        try h.pool.drain(grace: .seconds(2))
        let snapshot = h.snapshot()
        let kind = try #require(snapshot.kinds.first { $0.kind == "wait" })
        #expect(kind.p50Seconds == 4)
        #expect(kind.predictionSource == .history)
        #expect(snapshot.plan == nil)
        #expect(snapshot.oldestJobs.allSatisfy { $0.predictionSource == .history && ($0.pMiss ?? 0) > 0.5 })
        let expected = try #require(snapshot.expectedMisses)
        #expect(abs(expected - snapshot.oldestJobs.compactMap(\.pMiss).reduce(0, +)) < 1e-9)
        #expect(snapshot.predictedMisses == Int(expected.rounded()))
        #expect(snapshot.likelyToMissCount == 2)
        #expect(snapshot.likelyToMiss?.map(\.kind) == ["wait", "wait"])
        #expect(snapshot.etaP50Seconds == nil)
        #expect((snapshot.etaSeconds ?? 0) > 2)
        #expect(snapshot.oldestJobs.allSatisfy { ($0.predictedRemainingSeconds ?? 0) > 2 })

        // Moving the deadline a minute out makes the same jobs likely to finish.
        try h.pool.drain(grace: .seconds(60))
        let later = h.snapshot()
        #expect((later.expectedMisses ?? 1) < 0.5)
        #expect(later.likelyToMiss == [])
        let p50 = try #require(later.etaP50Seconds)
        let p90 = try #require(later.etaP90Seconds)
        #expect(p50 <= p90 && p90 <= 60)
        h.gates[2].open()
        try await h.finished()
    }

    @Test("a declared expected duration is the prior of a kind nobody has seen finish")
    func declared() async throws {
        let h = try PoolHarness()
        let gate = Gate()
        h.pool.register(kind: "slow", expectedDuration: .seconds(60)) { _ in try await gate.pass() }
        try await h.start()
        try await h.pool.submit(kind: "slow")
        try await h.pool.submit(kind: "wait")
        try await eventually("both started") { gate.arrivals == 1 && h.gate.arrivals == 1 }
        let jobs = h.snapshot().oldestJobs
        let slow = try #require(jobs.first { $0.kind == "slow" })
        let other = try #require(jobs.first { $0.kind == "wait" })
        #expect(slow.predictionSource == .declared)
        #expect(other.predictionSource == .prior)
        // 60 s declared against the default 10 s grace: almost surely a miss; the 5 s pool prior: a toss-up.
        #expect((slow.pMiss ?? 0) > 0.95)
        #expect((other.pMiss ?? 1) < 0.5)
        try h.pool.drain()
        gate.open()
        h.gate.open()
        try await h.finished()
    }

    @Test("a declared p90 reaches the predictions: the same median with a longer tail is likelier to miss")
    func declaredP90() async throws {
        let h = try PoolHarness()
        let gate = Gate()
        h.pool.register(kind: "narrow", expectedDuration: .seconds(5)) { _ in try await gate.pass() }
        h.pool.register(kind: "wide", expectedDuration: .seconds(5), expectedP90: .seconds(50)) { _ in
            try await gate.pass()
        }
        try await h.start()
        try await h.pool.submit(kind: "narrow")
        try await h.pool.submit(kind: "wide")
        try await eventually("both started") { gate.arrivals == 2 }
        let jobs = h.snapshot().oldestJobs
        let narrow = try #require(jobs.first { $0.kind == "narrow" }?.pMiss)
        let wide = try #require(jobs.first { $0.kind == "wide" }?.pMiss)
        // Against the default 10 s grace: σ 0.75 gives about 0.18, the declared tail (σ 1.8) about 0.35.
        #expect(narrow < 0.25 && wide > 0.3, "narrow \(narrow), wide \(wide)")
        try h.pool.drain()
        gate.open()
        try await h.finished()
    }

    @Test("the totals cover every job in flight, not only the listed ones")
    func totalsBeyondListed() async throws {
        let h = try PoolHarness(concurrency: 120, maxQueued: 500)
        try await h.start()
        for _ in 0..<120 { try await h.pool.submit(kind: "stubborn") }
        try await eventually("120 started") { h.gate.arrivals == 120 }
        // A deadline already passed (the jobs ignore the cancellation): all 120 miss, 50 of them listed.
        try h.pool.drain(grace: .zero)
        let snapshot = h.snapshot()
        #expect(snapshot.oldestJobs.count == 50)
        #expect(snapshot.expectedMisses == 120)
        #expect(snapshot.likelyToMissCount == 120)
        #expect(snapshot.likelyToMiss?.count == 50)
        h.gate.open()
        try await h.finished()
    }

    @Test("the snapshot is JSON with snake_case keys that round-trips")
    func json() async throws {
        let h = try PoolHarness()
        try await h.start()
        let data = try JSONEncoder.drain.encode(h.snapshot())
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["pid", "name", "phase", "in_flight", "queued", "completed", "requeued", "oldest_jobs", "plan"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["phase"] as? String == "running")
        let plan = try #require(object["plan"] as? [String: Any])
        for key in ["grace_seconds", "expected_misses"] { #expect(plan[key] != nil, "missing plan.\(key)") }
        let decoded = try JSONDecoder.drain.decode(PoolSnapshot.self, from: data)
        #expect(decoded.name == "test")
        try h.pool.drain()
        try await h.finished()
    }
}

@Suite("Group commit", .timeLimit(.minutes(5)))
struct GroupCommitTests {
    @Test("concurrent submits are all durable, each with its own id")
    func concurrentSubmits() async throws {
        let h = try PoolHarness(concurrency: 1, maxQueued: 10_000)
        try await h.start()
        let pool = h.pool
        let ids = try await withThrowingTaskGroup(of: JobID.self) { group in
            for _ in 0..<500 { group.addTask { try await pool.submit(kind: "wait") } }
            return try await group.reduce(into: [JobID]()) { $0.append($1) }
        }
        #expect(Set(ids).count == 500)
        #expect(Set(ids) == Set(1...500))
        let counts = try await h.journal.counts()
        #expect(counts.queued + counts.running == 500)
        try h.pool.drain()
        h.gate.open()
        try await h.finished()
    }
}
