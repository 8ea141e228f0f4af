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

    /// Gauge: a shared journal's jobs waiting for rescue, left running under a gone worker (its process
    /// ended, its lease ran out, or it stopped); 0 for a private journal. With ``queued``, the work an
    /// autoscaler must see.
    public static let waitingForRescue = "drain_waiting_for_rescue"
    /// Counter, one per request operation (dimension `op`): requests the control socket served.
    public static let controlRequests = "drain_control_requests_total"

    /// What each metric counts, for the `# HELP` line a Prometheus exposition gives every series.
    ///
    /// Kept beside the names so that a new metric gets its text in the same change; drain-demo's metrics
    /// factory reads it, and Prometheus users read it in Grafana and in `promtool check metrics`.
    public static let help: [String: String] = [
        inFlight: "Jobs plus tracked operations (HTTP requests) running now.",
        queued: "Jobs durable in the journal and not started yet.",
        jobsCompleted: "Jobs that finished successfully.",
        jobsFailed: "Jobs whose handler threw.",
        jobsRequeued: "Jobs put back in the queue by a forced drain, to run again elsewhere or later.",
        jobsRecovered: "Jobs left running by a previous process and recovered at start.",
        operationsCompleted: "Tracked operations (HTTP requests) that finished without being cancelled.",
        cancelled: "Jobs and tracked operations cancelled by a forced drain.",
        rejected: "Submits and tracked operations refused because the pool was draining.",
        jobDuration: "How long each finished job ran, in seconds.",
        operationDuration: "How long each finished tracked operation ran, in seconds.",
        drainDuration: "From the start of draining (after the lame duck) to stopped, in seconds.",
        phase: "1 for the pool's current phase (label phase), 0 for the others.",
        secondsLeft: "Seconds until the drain's deadline; 0 while running without a deadline and once forcing.",
        waitingForRescue:
            "Shared queue only: jobs left running under a gone worker (process ended, lease run out, or stopped), "
            + "waiting for a live worker to put them back in the queue.",
        controlRequests: "Requests served on the control socket, by operation (label op).",
    ]

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
