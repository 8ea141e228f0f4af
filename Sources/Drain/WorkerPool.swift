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
    let clock: DrainClock
    let signals: AsyncStream<DrainSignal>?
    let state = Mutex(PoolState())
    let hub: EventHub
    let appends: GroupCommit<NewJob, JobID>
    let settles: GroupCommit<JobOutcome, Void>
    let wakeStream: AsyncStream<Void>
    let wakeContinuation: AsyncStream<Void>.Continuation
    let startedAt = Date()

    /// Creates a pool.
    /// - Parameters:
    ///   - configuration: Limits, grace and lame duck.
    ///   - journal: Where jobs are kept; usually a ``SQLiteJournal``.
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
        self.journal = journal
        self.signals = signals
        self.clock = DrainClock(clock)
        var logger = logger
        logger[metadataKey: "drain.pool"] = "\(configuration.name)"
        self.logger = logger
        self.metrics = PoolMetrics(name: configuration.name, factory: metrics)
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
    ///   - handler: Runs one job; see ``JobHandler`` for cancellation and idempotence.
    public func register(
        kind: String, expectedDuration: Duration?, expectedP90: Duration? = nil, handler: @escaping JobHandler
    ) {
        let declared = DeclaredDuration(median: expectedDuration, p90: expectedP90)
        if expectedP90 != nil, declared?.p90 == nil {
            logger.warning(
                "the declared p90 is ignored: it must be above the declared median duration",
                metadata: ["drain.kind": "\(kind)"])
        }
        state.withLock {
            $0.handlers[kind] = handler
            $0.declared[kind] = declared
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
            state.withLock {
                $0.reserved -= 1
                $0.queued += 1
                $0.noteNews()
            }
            wake()
            return id
        } catch {
            state.withLock { $0.reserved -= 1 }
            releaseWaiters()
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
        let admitted = state.withLock { state -> UInt64? in
            guard state.phase.acceptsWork else {
                state.rejected += 1
                return nil
            }
            let id = state.nextOperationID
            state.nextOperationID += 1
            state.operations[id] = PoolState.Operation(name: name, started: clock.now)
            return id
        }
        guard let id = admitted else {
            metrics.rejected.increment()
            throw DrainError(.notAccepting, "the pool is \(phase): new operations are refused")
        }
        let started = clock.now
        let task = Task { try await operation() }
        let cancelNow = state.withLock { state -> Bool in
            state.operations[id]?.cancel = { task.cancel() }
            return state.phase >= .forcing
        }
        if cancelNow { task.cancel() }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        let settled = state.withLock { state -> OperationEnd? in
            guard state.operations.removeValue(forKey: id) != nil else { return nil }
            if state.phase >= .draining { state.settledSinceDrainStart += 1 }
            if task.isCancelled, state.phase >= .forcing {
                state.cancelled += 1
                return .cancelled
            }
            if case .failure = result {
                state.failed += 1
                return .failed
            }
            // Counted with the jobs, so the report, `status` and the dashboard's banner show the
            // requests a drain answered; `completedOperations` keeps the split.
            state.completed += 1
            state.completedOperations += 1
            return .completed
        }
        // Metrics after the lock: a metrics backend is foreign code.
        switch settled {
        case .cancelled: metrics.cancelled.increment()
        case .completed:
            metrics.operationsCompleted.increment()
            metrics.operationDuration.recordNanoseconds((clock.now - started).nanoseconds)
        case .failed, nil: break
        }
        publishGauges()
        wake()
        return try result.get()
    }

    /// A subscription to the pool's events, starting now.
    ///
    /// The stream ends after the `stopped` event. It keeps at most
    /// ``WorkerPoolConfiguration/subscriberBuffer`` unread events, dropping the oldest.
    public func events() -> AsyncStream<DrainEvent> { hub.subscribe() }

    /// The shutdown report, once the pool has stopped.
    public var report: ShutdownReport? { state.withLock { $0.report } }

    /// The current phase.
    public var phase: DrainPhase { state.withLock { $0.phase } }

    func wake() { wakeContinuation.yield() }

    /// How a tracked operation ended, for the metrics counted after the lock.
    private enum OperationEnd {
        case completed
        case failed
        case cancelled
    }

    private func reserveSlot(kind: String) async throws {
        let id: UInt64?
        do {
            id = try takeSlotOrTicket(kind: kind)
        } catch let error as DrainError where error.code == .notAccepting {
            metrics.rejected.increment()
            throw error
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let early = state.withLock { state -> (any Error)? in
                    if !state.phase.acceptsWork {
                        return DrainError(.notAccepting, "the pool is \(state.phase): new jobs are refused")
                    }
                    if Task.isCancelled { return CancellationError() }
                    state.spaceWaiters[id] = continuation
                    return nil
                }
                if let early { continuation.resume(throwing: early) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.spaceWaiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
        releaseWaiters()
    }

    /// A reserved slot (nil) or a waiter ticket when the queue is full.
    /// - Throws: ``DrainError`` `unknownKind`, or `notAccepting` once draining began (counted as rejected).
    private func takeSlotOrTicket(kind: String) throws -> UInt64? {
        try state.withLock { state -> UInt64? in
            guard state.handlers[kind] != nil else {
                throw DrainError(.unknownKind, "no handler is registered for job kind '\(kind)'")
            }
            guard state.phase.acceptsWork else {
                state.rejected += 1
                throw DrainError(.notAccepting, "the pool is \(state.phase): new jobs are refused")
            }
            if state.hasRoom(maxQueued: configuration.maxQueuedJobs), state.spaceWaiters.isEmpty {
                state.reserved += 1
                return nil
            }
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
    }

    /// Hands free queue slots to waiting submitters, oldest first; refuses them all once draining.
    func releaseWaiters() {
        let (admitted, refused) = state.withLock {
            state -> ([CheckedContinuation<Void, any Error>], [CheckedContinuation<Void, any Error>]) in
            if !state.phase.acceptsWork {
                let all = Array(state.spaceWaiters.values)
                state.spaceWaiters = [:]
                state.rejected += all.count
                return ([], all)
            }
            var admitted: [CheckedContinuation<Void, any Error>] = []
            for id in state.spaceWaiters.keys.sorted() where state.hasRoom(maxQueued: configuration.maxQueuedJobs) {
                if let waiter = state.spaceWaiters.removeValue(forKey: id) {
                    state.reserved += 1
                    admitted.append(waiter)
                }
            }
            return (admitted, [])
        }
        for waiter in admitted { waiter.resume() }
        if !refused.isEmpty { metrics.rejected.increment(by: refused.count) }
        for waiter in refused {
            waiter.resume(throwing: DrainError(.notAccepting, "the pool began draining while this submit waited"))
        }
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
        let event = state.withLock { state -> DrainEvent in
            state.event(.command, "\(message) by \(cause)", cause: cause, limit: configuration.snapshotEventLimit)
        }
        runDeferred()
        logger.info(
            "\(event.message)",
            metadata: [
                "drain.event": "command", "drain.peer.pid": "\(cause.pid ?? 0)", "drain.peer.uid": "\(cause.uid ?? 0)",
            ]
        )
    }

    /// Returns once the pool has stopped (at once if it already has).
    public func waitUntilStopped() async {
        for await _ in hub.subscribe() {}
    }
}
