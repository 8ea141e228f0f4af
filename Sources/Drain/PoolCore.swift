import Foundation

/// What ``WorkerPool`` keeps under its one lock: the ``PoolStateMachine``, and the handles the machine
/// only names by identifier (job and operation tasks, waiting submits' continuations, timer tasks).
///
/// ``resolve(_:)`` turns an action's identifiers into those handles under the lock, so that cancelling a
/// task or resuming a continuation (foreign code: a cancellation handler or a resumed task may call back
/// into the pool) happens after it, in ``WorkerPool/perform(_:)``.
struct PoolCore {
    var machine: PoolStateMachine
    var handlers: [String: JobHandler] = [:]
    var jobTasks: [JobID: Task<Void, Never>] = [:]
    var operationCancels: [UInt64: @Sendable () -> Void] = [:]
    var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    var timers: [Int: Task<Void, Never>] = [:]
    /// The snapshot tick's number and task, while one is armed.
    var tick: (generation: Int, task: Task<Void, Never>)?
    /// Counts the snapshots taken, under the lock, so that of two built at once the later state wins.
    var snapshotSeq: UInt64 = 0
    /// The gauges last handed to the runner. An event that leaves them as they were sets none: most of a
    /// job's events change one count or none, and setting all nine gauges on each cost throughput. Runners
    /// racing cannot leave an older reading set after a newer one: ``GaugeWriter`` orders them by
    /// ``gaugeSequence``.
    var lastGauges: PoolMetrics.Gauges?
    /// Numbers each reading of the gauges, under the lock, in the order of the states they describe.
    var gaugeSequence: UInt64 = 0

    /// An action with its handles, ready to run after the lock.
    struct Execution: Sendable {
        var action: PoolStateMachine.Action
        /// The gauges to set, when they changed, with their reading's number for ``GaugeWriter``.
        var gauges: (values: PoolMetrics.Gauges, sequence: UInt64)?
        var cancels: [@Sendable () -> Void] = []
        var resume: [CheckedContinuation<Void, any Error>] = []
        var refuse: [CheckedContinuation<Void, any Error>] = []
    }

    mutating func resolve(_ action: PoolStateMachine.Action, at now: Duration) -> Execution {
        var execution = Execution(action: action)
        let reading = readGauges(at: now)
        if reading.values != lastGauges { execution.gauges = reading }
        lastGauges = reading.values
        for id in action.cancelJobs {
            if let task = jobTasks[id] { execution.cancels.append { task.cancel() } }
        }
        for id in action.cancelOperations {
            if let cancel = operationCancels[id] { execution.cancels.append(cancel) }
        }
        if action.cancelTimers {
            for task in timers.values { execution.cancels.append { task.cancel() } }
            timers = [:]
            if let task = tick?.task { execution.cancels.append { task.cancel() } }
            tick = nil
        }
        execution.resume = action.resumeWaiters.compactMap { waiters.removeValue(forKey: $0) }
        execution.refuse = action.refuseWaiters.compactMap { waiters.removeValue(forKey: $0) }
        return execution
    }

    /// The gauges now, numbered for ``GaugeWriter``.
    ///
    /// Never as of a time before an event the machine has seen: a runner that read the clock, then waited
    /// for the lock behind a later event, would otherwise set a newer reading with more seconds left.
    mutating func readGauges(at now: Duration) -> (values: PoolMetrics.Gauges, sequence: UInt64) {
        gaugeSequence += 1
        return (machine.gauges(at: max(now, machine.latest)), gaugeSequence)
    }

    /// Keeps a new timer's task, unless the machine has moved on to a newer timer or stopped.
    /// - Returns: The tasks to cancel after the lock: the older timers, or this one.
    mutating func adopt(timer: PoolStateMachine.Timer, task: Task<Void, Never>) -> [Task<Void, Never>] {
        guard machine.timer?.generation == timer.generation else { return [task] }
        let older = timers.filter { $0.key < timer.generation }
        for generation in older.keys { timers[generation] = nil }
        timers[timer.generation] = task
        return Array(older.values)
    }

    /// Keeps a new tick's task, unless a newer tick was adopted first or the pool stopped.
    ///
    /// A tick's task can fire and arm the next before the runner that started it gets here: the newer
    /// tick must win, whatever order the two arrive in.
    /// - Returns: The task to cancel after the lock: the older tick, or this one.
    mutating func adopt(tick: PoolStateMachine.Timer, task: Task<Void, Never>) -> Task<Void, Never>? {
        // The pool stopped while this was armed: its cancellation already ran, so this one goes too.
        guard machine.lifecycle == .running else { return task }
        if let current = self.tick, current.generation > tick.generation { return task }
        defer { self.tick = (tick.generation, task) }
        return self.tick?.task
    }
}
