/// The names of the metrics a ``WorkerPool`` reports, and histogram buckets that suit drains.
///
/// The pool reports through swift-metrics and never bootstraps a backend. An executable that bootstraps
/// Prometheus configures its duration histograms with these buckets, because the backends' defaults
/// (5 ms to 10 s, made for request latencies) put every long job and every drain in the top bucket.
/// Every metric carries the dimension `pool` with the pool's name.
public enum DrainMetrics {
    /// Gauge: jobs plus tracked operations in flight.
    public static let inFlight = "drain_in_flight"
    /// Gauge: jobs durable in the journal and not started.
    public static let queued = "drain_queued"
    /// Counter: jobs finished successfully.
    public static let jobsCompleted = "drain_jobs_completed_total"
    /// Counter: jobs whose handler threw.
    public static let jobsFailed = "drain_jobs_failed_total"
    /// Counter: jobs put back in the queue by a forced drain.
    public static let jobsRequeued = "drain_jobs_requeued_total"
    /// Counter: jobs left running by a previous process and recovered at start.
    public static let jobsRecovered = "drain_jobs_recovered_total"
    /// Counter: tracked operations (HTTP requests) that finished without being cancelled.
    public static let operationsCompleted = "drain_operations_completed_total"
    /// Counter: jobs and operations cancelled by a forced drain.
    public static let cancelled = "drain_cancelled_total"
    /// Counter: submits and operations refused because the pool was draining.
    public static let rejected = "drain_rejected_total"
    /// Histogram (timer): how long each finished job ran.
    public static let jobDuration = "drain_job_duration_seconds"
    /// Histogram (timer): how long each finished tracked operation ran.
    public static let operationDuration = "drain_operation_duration_seconds"
    /// Histogram (timer): from the start of draining (after the lame duck) to stopped.
    public static let drainDuration = "drain_duration_seconds"
    /// Gauge, one series per phase (dimension `phase`): 1 for the current phase, 0 for the others.
    public static let phase = "drain_phase"
    /// Gauge: seconds until the deadline (in lame duck, the lame duck left plus the grace); 0 once forcing,
    /// and while running, when there is no deadline.
    public static let secondsLeft = "drain_seconds_left"

    /// Buckets for ``jobDuration``: background jobs run from milliseconds to minutes.
    public static let jobDurationBuckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
    ]

    /// Buckets for ``operationDuration``: requests, from a millisecond to a minute.
    public static let operationDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    /// Buckets for ``drainDuration``: around the usual graces (Kubernetes' 30 s default, systemd's 90 s).
    public static let drainDurationBuckets: [Duration] = [
        .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(15),
        .seconds(20), .seconds(30), .seconds(45), .seconds(60), .seconds(90), .seconds(120), .seconds(300),
    ]
}
