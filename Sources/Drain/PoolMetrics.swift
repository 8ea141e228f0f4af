import Metrics

/// The pool's metrics, built once from the application's factory.
struct PoolMetrics: Sendable {
    let inFlight: Meter
    let queued: Meter
    let completed: Counter
    let failed: Counter
    let requeued: Counter
    let cancelled: Counter
    let rejected: Counter
    let recovered: Counter
    let jobDuration: Timer
    let drainDuration: Timer

    init(name: String, factory: any MetricsFactory) {
        let dimensions = [("pool", name)]
        inFlight = Meter(label: "drain_in_flight", dimensions: dimensions, factory: factory)
        queued = Meter(label: "drain_queued", dimensions: dimensions, factory: factory)
        completed = Counter(label: "drain_jobs_completed_total", dimensions: dimensions, factory: factory)
        failed = Counter(label: "drain_jobs_failed_total", dimensions: dimensions, factory: factory)
        requeued = Counter(label: "drain_jobs_requeued_total", dimensions: dimensions, factory: factory)
        cancelled = Counter(label: "drain_cancelled_total", dimensions: dimensions, factory: factory)
        rejected = Counter(label: "drain_rejected_total", dimensions: dimensions, factory: factory)
        recovered = Counter(label: "drain_jobs_recovered_total", dimensions: dimensions, factory: factory)
        jobDuration = Timer(label: "drain_job_duration", dimensions: dimensions, factory: factory)
        drainDuration = Timer(label: "drain_duration", dimensions: dimensions, factory: factory)
    }
}
