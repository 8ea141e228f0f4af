import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// A bounded worker pool over a durable journal that drains on SIGTERM, and shows how it is doing.
///
/// Register a handler per job kind, then run the pool in a `ServiceGroup`. `submit` returns once the job
/// is in the journal. On the first SIGTERM (or ``drain(grace:cause:)``) the pool stops starting jobs, lets
/// the ones in flight finish until the deadline, then cancels and requeues the rest and returns from
/// ``run()`` with a ``ShutdownReport``.
///
/// - Important: Delivery is at least once: a job whose run was forced or killed runs again on the next
///   start. Handlers must be idempotent.
public final class WorkerPool: Service, Sendable, CustomStringConvertible {
    let configuration: WorkerPoolConfiguration
    let journal: any JobJournal
    let logger: Logger
    let metrics: PoolMetrics
    /// Sets ``metrics``' gauges in the order they were read.
    let gaugeWriter: GaugeWriter
    let clock: DrainClock
    let signals: AsyncStream<DrainSignal>?
    let state: Mutex<PoolCore>
    /// The latest snapshot published (a tick, a phase change, a deadline move); nil before the first.
    let published = Mutex<PublishedSnapshot?>(nil)
    /// Called with each snapshot as it is published (see ``onPublish(_:)``).
    let publishHooks = Mutex<[@Sendable (PublishedSnapshot) -> Void]>([])
    let hub: EventHub
    let appends: GroupCommit<NewJob, JobID>
    let settles: GroupCommit<JobOutcome, Void>
    let wakeStream: AsyncStream<Void>
    let wakeContinuation: AsyncStream<Void>.Continuation
    let startedAt = Date()

    /// Creates a pool.
    /// - Parameters:
    ///   - configuration: Limits, grace and lame duck.
    ///   - journal: Where jobs are kept; usually a `SQLiteJournal` (from `DrainSQLite`).
    ///   - signals: The signals to react to, usually ``DrainSignal/unixSignals()``; nil to leave signals
    ///     to the application (it then calls ``drain(grace:cause:)`` itself).
    ///   - clock: The clock for deadlines and durations; tests pass a manual one.
    ///   - logger: Where the pool logs, with `drain.*` metadata keys.
    ///   - metrics: The factory for the pool's metrics; the library never bootstraps one.
    public init(
        configuration: WorkerPoolConfiguration,
        journal: any JobJournal,
        signals: AsyncStream<DrainSignal>? = nil,
        clock: some Clock<Duration> = ContinuousClock(),
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(configuration.maxConcurrentJobs > 0, "maxConcurrentJobs must be at least 1")
        precondition(configuration.maxQueuedJobs > 0, "maxQueuedJobs must be at least 1")
        self.configuration = configuration
        self.state = Mutex(PoolCore(machine: PoolStateMachine(configuration: configuration)))
        self.journal = journal
        self.signals = signals
        self.clock = DrainClock(clock)
        var logger = logger
        logger[metadataKey: "drain.pool"] = "\(configuration.name)"
        self.logger = logger
        self.metrics = PoolMetrics(name: configuration.name, factory: metrics)
        self.gaugeWriter = GaugeWriter(metrics: self.metrics)
        self.hub = EventHub(bufferSize: configuration.subscriberBuffer)
        self.appends = GroupCommit { jobs in try await journal.append(jobs) }
        self.settles = GroupCommit { outcomes in
            try await journal.settle(outcomes)
            return outcomes.map { _ in () }
        }
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var description: String { "WorkerPool(\(configuration.name))" }

    /// Registers the handler for a kind of job. Call before ``run()``.
    /// - Parameters:
    ///   - kind: The name given to ``submit(kind:payload:)``.
    ///   - handler: Runs one job; see ``JobHandler`` for cancellation and idempotence.
    public func register(kind: String, handler: @escaping JobHandler) {
        register(kind: kind, expectedDuration: nil, handler: handler)
    }

    /// Registers the handler for a kind of job, with the duration its jobs usually take. Call before
    /// ``run()``.
    ///
    /// The declared duration is the kind's prior: predictions lean on it (as their median) until enough
    /// jobs of the kind have finished for their observed durations to outweigh it. Declaring the 90th
    /// percentile too says how long the kind's tail is: a kind whose slow runs take ten times its median
    /// needs a longer grace than one that hardly varies, and without it the prior assumes about ×2.6.
    /// - Parameters:
    ///   - kind: The name given to ``submit(kind:payload:)``.
    ///   - expectedDuration: A typical (median) run of one job; nil to leave it to the pool-wide prior.
    ///   - expectedP90: The run nine jobs in ten finish within; above `expectedDuration`, else ignored
    ///     (with a warning in the log).
    ///   - expectedP99: The run 99 jobs in 100 finish within: the kind's tail. With a p90, the prior's
    ///     tail past the p90 is a Pareto through both, so a kind with rare very long runs gets the grace
    ///     they need. Above the p90 (or the median), else ignored with a warning.
    ///   - handler: Runs one job; see ``JobHandler`` for cancellation and idempotence.
    public func register(
        kind: String, expectedDuration: Duration?, expectedP90: Duration? = nil, expectedP99: Duration? = nil,
        handler: @escaping JobHandler
    ) {
        let declared = DeclaredDuration(median: expectedDuration, p90: expectedP90, p99: expectedP99)
        if expectedP90 != nil, declared?.p90 == nil {
            logger.warning(
                "the declared p90 is ignored: it must be above the declared median duration",
                metadata: ["drain.kind": "\(kind)"])
        }
        if expectedP99 != nil, declared?.p99 == nil {
            logger.warning(
                "the declared p99 is ignored: it must be above the declared p90 and median durations",
                metadata: ["drain.kind": "\(kind)"])
        }
        state.withLock {
            $0.handlers[kind] = handler
            $0.machine.register(kind: kind, declared: declared)
        }
    }

    /// Accepts a job, and returns once it is durable in the journal.
    ///
    /// When the queue is full this waits for room (back-pressure) instead of growing memory.
    /// - Throws: ``DrainError`` `notAccepting` once draining began (also while waiting for room),
    ///   `unknownKind` for a kind with no handler, `journal` when the write failed.
    @discardableResult
    public func submit(kind: String, payload: Data = Data()) async throws -> JobID {
        try await reserveSlot(kind: kind)
        do {
            let id = try await appends.commit(NewJob(kind: kind, payload: payload))
            send { machine, _ in machine.appended() }
            return id
        } catch {
            send { machine, _ in machine.appendFailed() }
            throw error
        }
    }

    /// Runs work the pool does not own (an HTTP request being served) as a tracked operation.
    ///
    /// It counts as in flight, so the drain waits for it; it is refused once draining began and cancelled
    /// when forcing. It is never requeued.
    /// - Throws: ``DrainError`` `notAccepting` once draining began; otherwise what `operation` throws.
    public func track<T: Sendable>(
        _ name: String, operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let id = try send { machine, now throws(DrainError) in try machine.operationRequested(name, at: now) }
        let task = Task { try await operation() }
        let cancelNow = state.withLock { core -> Bool in
            core.operationCancels[id] = { task.cancel() }
            return core.machine.shouldCancelNewOperation(id)
        }
        if cancelNow { task.cancel() }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        let succeeded = if case .success = result { true } else { false }
        send { machine, now in
            machine.operationEnded(id, succeeded: succeeded, cancelled: task.isCancelled, at: now)
        }
        state.withLock { _ = $0.operationCancels.removeValue(forKey: id) }
        return try result.get()
    }

    /// A subscription to the pool's events, starting now.
    ///
    /// The stream ends after the `stopped` event. It keeps at most
    /// ``WorkerPoolConfiguration/subscriberBuffer`` unread events, dropping the oldest.
    public func events() -> AsyncStream<DrainEvent> { hub.subscribe() }

    /// The shutdown report, once the pool has stopped.
    public var report: ShutdownReport? { state.withLock { $0.machine.report } }

    /// The current phase.
    public var phase: DrainPhase { state.withLock { $0.machine.phase } }

    func wake() { wakeContinuation.yield() }

    /// Submits waiting for room in a full queue; tests wait on it instead of sleeping.
    var waitingSubmits: Int { state.withLock { $0.machine.waiters.count } }

    /// Jobs whose handler returned and whose outcome is being written; tests wait on it instead of sleeping.
    var finishingJobs: Int { state.withLock { $0.machine.inFlight.entries.values.count(where: \.finishing) } }

    /// Takes a queue slot, waiting for one while the queue is full.
    private func reserveSlot(kind: String) async throws {
        let decision: PoolStateMachine.SubmitDecision
        do {
            decision = try takeSlot(kind: kind)
        } catch {
            if error.code == .notAccepting { metrics.rejected.increment() }
            throw error
        }
        guard case .wait(let ticket) = decision else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                wait(ticket, continuation)
            }
        } onCancel: {
            cancelWait(ticket)
        }
    }

    private func takeSlot(kind: String) throws(DrainError) -> PoolStateMachine.SubmitDecision {
        try state.withLock { core throws(DrainError) in try core.machine.submitRequested(kind: kind) }
    }

    /// Parks a submit until the machine admits or refuses it.
    private func wait(_ ticket: UInt64, _ continuation: CheckedContinuation<Void, any Error>) {
        let now = now()
        let (cancelled, execution) = state.withLock { core -> (Bool, PoolCore.Execution) in
            // Read under the lock: the cancellation handler takes it too, so either it already ran (and
            // this sees the flag) or it will find the waiter.
            let cancelled = Task.isCancelled
            let action = core.machine.waiterRegistered(ticket, cancelled: cancelled)
            if !cancelled { core.waiters[ticket] = continuation }
            // A waiter admitted or refused at once is resumed by the action, after the lock.
            return (cancelled, core.resolve(action, at: now.offset))
        }
        perform(execution)
        if cancelled { continuation.resume(throwing: CancellationError()) }
    }

    private func cancelWait(_ ticket: UInt64) {
        let waiter = state.withLock { core -> CheckedContinuation<Void, any Error>? in
            guard core.machine.waiterCancelled(ticket) else { return nil }
            return core.waiters.removeValue(forKey: ticket)
        }
        waiter?.resume(throwing: CancellationError())
    }
}

extension WorkerPool {
    /// The pool's name, from its configuration.
    public var name: String { configuration.name }

    /// Records an operator command (from the control socket) as an event, so the log shows who did what.
    /// - Parameters:
    ///   - message: What was asked, for people (`status`, `shutdown grace 30s`).
    ///   - cause: Who asked, usually ``DrainCause/client(pid:uid:reason:)``.
    public func audit(_ message: String, cause: DrainCause) {
        send { machine, now in machine.audit(message, cause: cause, at: now) }
    }

    /// Returns once the pool has stopped (at once if it already has).
    public func waitUntilStopped() async {
        for await _ in hub.subscribe() {}
    }
}
