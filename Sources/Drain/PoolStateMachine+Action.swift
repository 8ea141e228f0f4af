extension PoolStateMachine {
    /// What a transition decided and the runner does after the lock, in this order: cancel, arm the timers,
    /// resume or refuse waiting submits, count metrics, publish the snapshot, publish and log events, wake
    /// the dispatcher.
    ///
    /// A value, so a test reads exactly what the pool would do.
    struct Action: Sendable {
        /// Events recorded, in `seq` order, to publish to subscribers and log.
        var events: [DrainEvent] = []
        /// The `stopped` event is among ``events``: end the subscriptions after it.
        var finishSubscriptions = false
        /// Jobs whose tasks to cancel (forcing).
        var cancelJobs: [JobID] = []
        /// Tracked operations whose tasks to cancel (forcing).
        var cancelOperations: [UInt64] = []
        /// Arm this timer, replacing the earlier one.
        var armTimer: Timer?
        /// The pool stopped: cancel every timer.
        var cancelTimers = false
        /// Waiting submits that got a slot: resume them.
        var resumeWaiters: [UInt64] = []
        /// Waiting submits refused because draining began: fail them with `notAccepting`.
        var refuseWaiters: [UInt64] = []
        /// Counters to add to, durations to record.
        var metrics = MetricDeltas()
        /// Something changed that the dispatcher decides on: wake it.
        var wake = false
        /// Build and publish the pool's snapshot now (a tick, a phase change, a deadline move), before the
        /// events go out, so a reader told of a change finds it in the snapshot.
        var publishSnapshot = false
        /// Arm the snapshot tick (its own numbering, not the drain timer's); it comes back as
        /// ``PoolStateMachine/tickFired(_:at:)``.
        var armTick: Timer?
        /// Plan the grace (a drain with a planned grace began, or was asked for one while draining): the
        /// runner forecasts after the lock and brings the answer back as
        /// ``PoolStateMachine/gracePlanned(_:at:)``, after this action's events.
        var planGrace = false

        /// Whether the runner has anything to do.
        var isEmpty: Bool {
            events.isEmpty && !finishSubscriptions && cancelJobs.isEmpty && cancelOperations.isEmpty
                && armTimer == nil && !cancelTimers && resumeWaiters.isEmpty && refuseWaiters.isEmpty
                && metrics == MetricDeltas() && !wake && !publishSnapshot && armTick == nil
                && !planGrace
        }
    }

    /// The metrics a transition moved; counted after the lock, because a metrics backend is foreign code.
    struct MetricDeltas: Sendable, Equatable {
        var rejected = 0
        var completed = 0
        var failed = 0
        var cancelled = 0
        var requeued = 0
        var recovered = 0
        var operationsCompleted = 0
        /// How long the job settled by this event ran. One event settles at most one job (and one
        /// operation), so a value, not an array: an array here cost an allocation on every job.
        var jobDuration: Duration?
        var operationDuration: Duration?
        var drainDuration: Duration?
    }
}
