import Foundation
import Metrics
import MetricsTestKit
import Synchronization
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

    @Test("flush returns once a reading another caller took over is in the backend, not before")
    func flushWaitsForTheWriter() async throws {
        let metrics = TestMetrics()
        let backend = HeldMeters(metrics)
        let writer = GaugeWriter(metrics: PoolMetrics(name: "p", factory: backend))
        backend.hold()
        // The first setter becomes the writer and is held inside the backend, on a thread of its own.
        let first = Thread { writer.set(Self.gauges(.draining, inFlight: 1), sequence: 1) }
        first.start()
        try await eventually("the writer inside the backend") { backend.isHolding }
        // A second reading is taken over by that writer: this call returns before it is written.
        writer.set(Self.gauges(.stopped, inFlight: 0), sequence: 2)
        let flushed = Mutex(false)
        let flush = Task {
            await writer.flush()
            flushed.withLock { $0 = true }
        }
        try await eventually("the flush waiting, or returned") {
            writer.waitingFlushes == 1 || flushed.withLock { $0 }
        }
        #expect(!flushed.withLock { $0 }, "flush returned while the writer was held")
        #expect(try phase(metrics, .stopped) != 1)
        backend.release()
        await flush.value
        #expect(try phase(metrics, .stopped) == 1, "flush returned before the reading it waits for was set")
        #expect(try metrics.expectMeter(DrainMetrics.inFlight, [("pool", "p")]).lastValue == 0)
    }
}

/// TestMetrics, with every meter's `set` held while the test holds them: a metrics backend that blocks.
final class HeldMeters: MetricsFactory, Sendable {
    private let inner: TestMetrics
    private let gate = NSCondition()
    private let state = Mutex((held: false, holding: false))

    init(_ inner: TestMetrics) { self.inner = inner }

    var isHolding: Bool { state.withLock { $0.holding } }

    func hold() { state.withLock { $0.held = true } }

    func release() {
        gate.lock()
        state.withLock { $0.held = false }
        gate.broadcast()
        gate.unlock()
    }

    func waitWhileHeld() {
        gate.lock()
        while state.withLock({ $0.held }) {
            state.withLock { $0.holding = true }
            gate.wait()
        }
        gate.unlock()
    }

    final class Meter: MeterHandler, Sendable {
        let inner: any MeterHandler
        let owner: HeldMeters
        init(_ inner: any MeterHandler, _ owner: HeldMeters) { (self.inner, self.owner) = (inner, owner) }
        func set(_ value: Int64) { set(Double(value)) }
        func set(_ value: Double) {
            owner.waitWhileHeld()
            inner.set(value)
        }
        func increment(by amount: Double) { inner.increment(by: amount) }
        func decrement(by amount: Double) { inner.decrement(by: amount) }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        Meter(inner.makeMeter(label: label, dimensions: dimensions), self)
    }
    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        inner.makeCounter(label: label, dimensions: dimensions)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        inner.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        inner.makeTimer(label: label, dimensions: dimensions)
    }
    func destroyCounter(_ handler: any CounterHandler) { inner.destroyCounter(handler) }
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) { inner.destroyRecorder(handler) }
    func destroyTimer(_ handler: any TimerHandler) { inner.destroyTimer(handler) }
}
