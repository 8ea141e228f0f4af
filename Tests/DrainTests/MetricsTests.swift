import Drain
import DrainProtocol
import Foundation
import MetricsTestKit
import Testing

@Suite("Pool metrics", .timeLimit(.minutes(5)))
struct MetricsTests {
    func phaseGauge(_ metrics: TestMetrics, _ phase: DrainPhase) throws -> Double? {
        try metrics.expectMeter(DrainMetrics.phase, [("pool", "test"), ("phase", phase.rawValue)]).lastValue
    }

    func gauge(_ metrics: TestMetrics, _ label: String) throws -> Double? {
        try metrics.expectMeter(label, [("pool", "test")]).lastValue
    }

    // MARK: - Gauges

    @Test("the phase and seconds-left gauges follow a drain, refreshed on the pool's clock")
    func gaugesFollowTheDrain() async throws {
        let metrics = TestMetrics()
        let h = try PoolHarness(
            concurrency: 1, grace: .seconds(10), lameDuck: .seconds(2), metrics: metrics, gaugeRefresh: .seconds(1))
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await eventually("job started") { h.gate.arrivals == 1 }
        // The job's task may start before its claim's runner has set the gauges, after the lock.
        try await eventually("running published") {
            try phaseGauge(metrics, .running) == 1 && gauge(metrics, DrainMetrics.inFlight) == 1
        }
        #expect(try gauge(metrics, DrainMetrics.secondsLeft) == 0, "no deadline while running")

        try h.pool.drain()
        // Set by the transition itself, with no clock move: lame duck left (2 s) plus the grace (10 s). (A
        // refresh writing at that moment takes the newer reading over, so the wait is for its write.)
        try await eventually("lame duck published") {
            try phaseGauge(metrics, .lameDuck) == 1 && phaseGauge(metrics, .running) == 0
                && gauge(metrics, DrainMetrics.secondsLeft) == 12
        }
        h.clock.advance(by: .seconds(1))
        try await eventually("refreshed in lame duck") { try gauge(metrics, DrainMetrics.secondsLeft) == 11 }

        // The refresh and the lame duck's end fall due together: whichever reads first, the newer reading is
        // the one that stays (GaugeWriter), so the gauges settle on draining and are never left behind it.
        h.clock.advance(by: .seconds(1))
        try await eventually("draining published") {
            try phaseGauge(metrics, .draining) == 1 && phaseGauge(metrics, .lameDuck) == 0
                && gauge(metrics, DrainMetrics.secondsLeft) == 10
        }
        h.clock.advance(by: .seconds(4))
        try await eventually("counting down") {
            try gauge(metrics, DrainMetrics.secondsLeft) == 6 && phaseGauge(metrics, .draining) == 1
        }

        h.gate.open()
        try await h.finished()
        // The stopped pool's gauges are set before run() returns (GaugeWriter.flush)...
        #expect(try phaseGauge(metrics, .stopped) == 1)
        #expect(try phaseGauge(metrics, .draining) == 0)
        #expect(try gauge(metrics, DrainMetrics.secondsLeft) == 0)
        #expect(try gauge(metrics, DrainMetrics.inFlight) == 0)
        // ...while the job is counted after the lock by its own runner, which may come a moment later.
        try await eventually("the job counted") {
            try metrics.expectCounter(DrainMetrics.jobsCompleted, [("pool", "test")]).totalValue == 1
        }
        #expect(try metrics.expectTimer(DrainMetrics.jobDuration, [("pool", "test")]).values.count == 1)
        #expect(try metrics.expectTimer(DrainMetrics.drainDuration, [("pool", "test")]).values.count == 1)
    }

    @Test("forcing sets seconds left to 0 and counts requeued and cancelled jobs")
    func forcingGauges() async throws {
        let metrics = TestMetrics()
        let h = try PoolHarness(concurrency: 2, grace: .seconds(3), metrics: metrics)
        try await h.start()
        try await h.pool.submit(kind: "wait")
        try await h.pool.submit(kind: "wait")
        try await eventually("jobs started") { h.gate.arrivals == 2 }
        try h.pool.drain()
        #expect(try gauge(metrics, DrainMetrics.secondsLeft) == 3)
        h.clock.advance(by: .seconds(3))
        try await h.finished()
        // The stopped pool's gauges are set before run() returns.
        #expect(try gauge(metrics, DrainMetrics.secondsLeft) == 0)
        #expect(try gauge(metrics, DrainMetrics.queued) == 2, "the requeued jobs are queued again")
        #expect(try phaseGauge(metrics, .stopped) == 1)
        // Both jobs are cancelled together and settle concurrently: the first one's wake-up can stop the pool
        // before the second's runner has counted it, after the lock.
        try await eventually("the forced jobs counted") {
            try metrics.expectCounter(DrainMetrics.jobsRequeued, [("pool", "test")]).totalValue == 2
                && metrics.expectCounter(DrainMetrics.cancelled, [("pool", "test")]).totalValue == 2
        }
    }

    // MARK: - Tracked operations

    @Test("finished tracked operations count as completed in the report, the snapshot and the metrics")
    func operationsCountAsCompleted() async throws {
        let metrics = TestMetrics()
        let h = try PoolHarness(concurrency: 1, metrics: metrics)
        try await h.start()
        let pool = h.pool
        let gate = h.gates[1]
        for _ in 0..<3 { _ = try await pool.track("GET /quick") { 1 } }
        let held = (0..<2).map { _ in Task { try await pool.track("GET /held") { try await gate.pass() } } }
        try await eventually("2 operations in flight") { h.snapshot().inFlightOperations == 2 }
        #expect(h.snapshot().completed == 3)
        #expect(h.snapshot().completedOperations == 3)
        try pool.drain()
        gate.open()
        for request in held { try await request.value }
        try await h.finished()
        let report = try #require(pool.report)
        #expect(report.outcome == .clean)
        #expect(report.inFlightAtDrainStart == 2)
        #expect(report.completed == 5, "operations answered during the drain count")
        #expect(report.completedOperations == 5)
        #expect(try metrics.expectCounter(DrainMetrics.operationsCompleted, [("pool", "test")]).totalValue == 5)
        #expect(try metrics.expectCounter(DrainMetrics.jobsCompleted, [("pool", "test")]).totalValue == 0)
        #expect(try metrics.expectTimer(DrainMetrics.operationDuration, [("pool", "test")]).values.count == 5)
        let json = try #require(String(data: report.jsonData(), encoding: .utf8))
        #expect(json.contains(#""completed_operations":5"#))
    }

    @Test("a tracked operation cancelled by forcing counts as cancelled, not completed")
    func forcedOperationNotCompleted() async throws {
        let h = try PoolHarness(concurrency: 1, grace: .seconds(1))
        try await h.start()
        let pool = h.pool
        let gate = h.gate
        let request = Task { try await pool.track("GET /slow") { try await gate.pass() } }
        try await eventually("in flight") { h.snapshot().inFlightOperations == 1 }
        try pool.drain()
        h.clock.advance(by: .seconds(1))
        await #expect(throws: CancellationError.self) { try await request.value }
        try await h.finished()
        let report = try #require(pool.report)
        #expect(report.completed == 0)
        #expect(report.completedOperations == 0)
        #expect(report.cancelled == 1)
    }

    @Test("a report without completed_operations (written before it was counted) still decodes")
    func oldReportDecodes() throws {
        let json = """
            {"outcome":"clean","name":"a","pid":1,"stopped_at":"2026-11-01T00:00:00Z","drain_seconds":1,
            "in_flight_at_drain_start":0,"completed":2,"failed":0,"cancelled":0,"requeued":0,"recovered":0,
            "rejected":0,"queued":0,"jobs":[]}
            """
        let report = try JSONDecoder.drain.decode(ShutdownReport.self, from: Data(json.utf8))
        #expect(report.completed == 2)
        #expect(report.completedOperations == nil)
    }
}
