import Drain
import Foundation
import Testing

@Suite("Snapshots", .timeLimit(.minutes(1)))
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

    @Test("observed durations predict the ETA and the jobs that will miss the deadline")
    func predictions() async throws {
        let h = try PoolHarness(concurrency: 4)
        try await h.start()
        // Two jobs that take 4 s teach the pool what a `wait` job costs.
        try await h.pool.submit(kind: "wait", payload: Data([1]))
        try await h.pool.submit(kind: "wait", payload: Data([1]))
        try await eventually("learning jobs started") { h.gates[1].arrivals == 2 }
        h.clock.advance(by: .seconds(4))
        h.gates[1].open()
        try await eventually("learning jobs done") { h.snapshot().completed == 2 }
        try await h.pool.submit(kind: "wait", payload: Data([2]))
        try await h.pool.submit(kind: "wait", payload: Data([2]))
        try await eventually("new jobs started") { h.gates[2].arrivals == 2 }
        try h.pool.drain(grace: .seconds(2))
        let snapshot = h.snapshot()
        let kind = try #require(snapshot.kinds.first { $0.kind == "wait" })
        #expect(kind.p50Seconds == 4)
        #expect(kind.inFlight == 2)
        #expect(snapshot.predictedMisses == 2)
        #expect(snapshot.etaSeconds == 4)
        #expect(snapshot.oldestJobs.allSatisfy { $0.predictedRemainingSeconds == 4 })
        h.gates[2].open()
        try await h.finished()
    }

    @Test("the snapshot is JSON with snake_case keys that round-trips")
    func json() async throws {
        let h = try PoolHarness()
        try await h.start()
        let data = try JSONEncoder.drain.encode(h.snapshot())
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["pid", "name", "phase", "in_flight", "queued", "completed", "requeued", "oldest_jobs"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["phase"] as? String == "running")
        let decoded = try JSONDecoder.drain.decode(PoolSnapshot.self, from: data)
        #expect(decoded.name == "test")
        try h.pool.drain()
        try await h.finished()
    }
}

@Suite("Group commit", .timeLimit(.minutes(1)))
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
