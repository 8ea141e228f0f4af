/// How a ``WorkerPool`` runs and drains.
public struct WorkerPoolConfiguration: Sendable {
    /// The name shown in `drainctl ls`, the dashboard and the socket file name.
    public var name: String
    /// The most jobs running at once.
    public var maxConcurrentJobs: Int = 8
    /// The most jobs queued (accepted, not started) before `submit` waits for room.
    public var maxQueuedJobs: Int = 10_000
    /// The grace used when a drain starts from a signal or without an explicit grace.
    public var defaultGrace: Duration = .seconds(30)
    /// How long to stay in lame duck (not ready, still working) before draining; zero skips it.
    public var lameDuck: Duration = .zero
    /// How long cancelled work may take to wind down after forcing before it is abandoned.
    public var cancellationWindow: Duration = .seconds(2)
    /// How many of the oldest in-flight jobs a snapshot lists.
    public var snapshotJobLimit: Int = 50
    /// How many recent events a snapshot carries.
    public var snapshotEventLimit: Int = 20
    /// The median duration assumed for a job before the pool has seen any run of any kind.
    ///
    /// Kinds without a declared duration lean on a prior learnt from every kind the pool has seen (the
    /// kinds' medians and spreads, runs still in flight counted as lasting at least their age); this
    /// value counts as one more kind in it, taken as widely spread (about ×4.5 either way). So it
    /// matters on a fresh journal's first seconds, and hardly once a few kinds have run; see
    /// ``PredictionSource``.
    public var priorJobDuration: Duration = .seconds(5)
    /// The buffer of each event subscriber; a stalled subscriber loses its oldest events past it.
    public var subscriberBuffer: Int = 256

    /// How often the pool publishes its snapshot: the one that `status`, `subscribe` and every subscriber
    /// of the control socket read, with its predictions computed once. A phase change or a deadline move
    /// publishes at once, between ticks, so a `status` that follows one always sees it.
    ///
    /// nil publishes only on those changes and builds a fresh snapshot for every read instead (tests on a
    /// manual clock use that, since each tick is a sleep on the pool's clock).
    public var snapshotInterval: Duration? = .milliseconds(100)

    /// How often the gauges are refreshed between transitions, so `drain_seconds_left` counts down in a
    /// scrape; nil refreshes them only when something happens (tests on a manual clock use that).
    public var gaugeRefreshInterval: Duration? = .seconds(1)

    /// - Parameter name: The service name shown to operators.
    public init(name: String) {
        self.name = name
    }
}
