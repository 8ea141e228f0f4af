import MetricsTestKit
import Testing

@testable import Drain

@Suite("Gauge writer")
struct GaugeWriterTests {
    static func gauges(_ phase: DrainPhase, inFlight: Int) -> PoolMetrics.Gauges {
        PoolMetrics.Gauges(phase: phase, inFlight: inFlight, queued: 0, secondsLeft: 0, waitingForRescue: 0)
    }

    func phase(_ metrics: TestMetrics, _ phase: DrainPhase) throws -> Double? {
        try metrics.expectMeter(DrainMetrics.phase, [("pool", "p"), ("phase", phase.rawValue)]).lastValue
    }

    @Test("a reading older than one already set is dropped: the stopped pool's gauges stay stopped")
    func olderDropped() throws {
        let metrics = TestMetrics()
        let writer = GaugeWriter(metrics: PoolMetrics(name: "p", factory: metrics))
        writer.set(Self.gauges(.stopped, inFlight: 0), sequence: 7)
        // A runner that read while the pool was still forcing, and reaches the backend last.
        writer.set(Self.gauges(.forcing, inFlight: 3), sequence: 6)
        #expect(try phase(metrics, .stopped) == 1)
        #expect(try phase(metrics, .forcing) == 0)
        #expect(try metrics.expectMeter(DrainMetrics.inFlight, [("pool", "p")]).lastValue == 0)
        writer.set(Self.gauges(.stopped, inFlight: 0), sequence: 8)
        #expect(try phase(metrics, .stopped) == 1)
    }

    @Test("readings set from many threads at once end on the newest")
    func concurrentEndOnNewest() async throws {
        let metrics = TestMetrics()
        let writer = GaugeWriter(metrics: PoolMetrics(name: "p", factory: metrics))
        // Sequences handed out in shuffled order to concurrent setters; whoever writes, the last value set
        // must be the highest sequence's.
        let sequences = (1...400).map { UInt64($0) }.shuffled()
        await withTaskGroup(of: Void.self) { group in
            for sequence in sequences {
                group.addTask { writer.set(Self.gauges(.draining, inFlight: Int(sequence)), sequence: sequence) }
            }
        }
        #expect(try metrics.expectMeter(DrainMetrics.inFlight, [("pool", "p")]).lastValue == 400)
    }
}
