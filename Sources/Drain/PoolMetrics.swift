import Metrics

/// The pool's metrics, built once from the application's factory.
///
/// - Important: Call these outside the pool's lock: a metrics backend is foreign code, and may take locks
///   or block of its own.
struct PoolMetrics: Sendable {
    let inFlight: Meter
    let queued: Meter
    let completed: Counter
    let failed: Counter
    let requeued: Counter
    let cancelled: Counter
    let rejected: Counter
    let recovered: Counter
    let operationsCompleted: Counter
    let jobDuration: Timer
    let operationDuration: Timer
    let drainDuration: Timer
    /// One series per phase, so a dashboard can graph the phase as a state timeline.
    let phases: [DrainPhase: Meter]
    let secondsLeft: Meter
    let waitingForRescue: Meter

    init(name: String, factory: any MetricsFactory) {
        let dimensions = [("pool", name)]
        func meter(_ label: String) -> Meter { Meter(label: label, dimensions: dimensions, factory: factory) }
        func counter(_ label: String) -> Counter { Counter(label: label, dimensions: dimensions, factory: factory) }
        func timer(_ label: String) -> Timer { Timer(label: label, dimensions: dimensions, factory: factory) }
        inFlight = meter(DrainMetrics.inFlight)
        queued = meter(DrainMetrics.queued)
        completed = counter(DrainMetrics.jobsCompleted)
        failed = counter(DrainMetrics.jobsFailed)
        requeued = counter(DrainMetrics.jobsRequeued)
        cancelled = counter(DrainMetrics.cancelled)
        rejected = counter(DrainMetrics.rejected)
        recovered = counter(DrainMetrics.jobsRecovered)
        operationsCompleted = counter(DrainMetrics.operationsCompleted)
        jobDuration = timer(DrainMetrics.jobDuration)
        operationDuration = timer(DrainMetrics.operationDuration)
        drainDuration = timer(DrainMetrics.drainDuration)
        var phases: [DrainPhase: Meter] = [:]
        for phase in DrainPhase.allCases {
            phases[phase] = Meter(
                label: DrainMetrics.phase, dimensions: dimensions + [("phase", phase.rawValue)], factory: factory)
        }
        self.phases = phases
        secondsLeft = meter(DrainMetrics.secondsLeft)
        waitingForRescue = meter(DrainMetrics.waitingForRescue)
    }

    /// The gauges that follow the pool's state, read under the lock and set after it.
    struct Gauges: Equatable {
        var phase: DrainPhase
        var inFlight: Int
        var queued: Int
        var secondsLeft: Double
        /// A shared journal's count; 0 for a private journal, which has nobody to rescue.
        var waitingForRescue: Int
    }

    func set(_ gauges: Gauges) {
        // The others to 0 first, the current phase last: a scrape between two of these sets never shows two
        // phases at 1 (``GaugeWriter`` makes this the only writer at a time).
        for (phase, meter) in phases where phase != gauges.phase { meter.set(0) }
        phases[gauges.phase]?.set(1)
        inFlight.set(gauges.inFlight)
        queued.set(gauges.queued)
        secondsLeft.set(gauges.secondsLeft)
        waitingForRescue.set(gauges.waitingForRescue)
    }
}
