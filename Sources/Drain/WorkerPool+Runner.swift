import Foundation

/// The one action runner: every change to the pool goes through ``send(_:)``, which feeds the machine an
/// event under the lock and performs the returned action after it.
extension WorkerPool {
    typealias Now = PoolStateMachine.Now
    typealias Action = PoolStateMachine.Action

    /// The time for an event, read before the lock; the machine clamps racing readings so its clock never
    /// runs backwards.
    func now() -> Now { Now(offset: clock.now, date: Date()) }

    /// Feeds one event to the machine and performs what it decided.
    func send(_ event: (inout PoolStateMachine, Now) -> Action) {
        let now = now()
        let execution = state.withLock { core in core.resolve(event(&core.machine, now), at: now.offset) }
        perform(execution)
    }

    /// Feeds one event that also answers (or throws), and performs what it decided.
    func send<Result, Failure: Error>(
        _ event: (inout PoolStateMachine, Now) throws(Failure) -> (Result, Action)
    ) throws(Failure) -> Result {
        let now = now()
        let (result, execution) = try state.withLock { core throws(Failure) in
            let (result, action) = try event(&core.machine, now)
            return (result, core.resolve(action, at: now.offset))
        }
        perform(execution)
        return result
    }

    /// Runs an action, after the lock, in a fixed order: cancellations, the timer, waiting submits, metrics,
    /// gauges, events, then the dispatcher's wake-up.
    func perform(_ execution: PoolCore.Execution) {
        let action = execution.action
        for cancel in execution.cancels { cancel() }
        if let timer = action.armTimer { arm(timer) }
        for waiter in execution.resume { waiter.resume() }
        for waiter in execution.refuse {
            waiter.resume(throwing: DrainError(.notAccepting, "the pool began draining while this submit waited"))
        }
        if let tick = action.armTick { armTick(tick) }
        count(action.metrics)
        if let gauges = execution.gauges { gaugeWriter.set(gauges.values, sequence: gauges.sequence) }
        // Before the events: whoever is told of a phase change and asks for `status` finds it there.
        let published = action.publishSnapshot ? publishSnapshot() : nil
        if !action.events.isEmpty || action.finishSubscriptions {
            hub.publish(action.events, finish: action.finishSubscriptions)
            log(action.events)
        }
        if action.wake { wake() }
        // After the events, so that the drain's start is told before the deadline the plan sets.
        if action.planGrace { planGrace() }
        if let published, action.events.contains(where: { $0.kind == .phaseChanged && $0.phase == .draining }) {
            // A planned drain is foreseen against its planned deadline, not the cap that stood before it.
            noteForecast(action.planGrace ? latestSnapshot().snapshot : published.snapshot)
        }
    }

    /// Forecasts the grace of a planned drain after the lock, and hands the answer back to the machine,
    /// which moves the deadline to it unless the plan was superseded meanwhile.
    private func planGrace() {
        let suggested = plannedGrace()
        send { machine, now in machine.gracePlanned(suggested, at: now) }
    }

    /// Keeps the forecast made as the drain began in its timeline, so the drain's history can say whether
    /// it was foreseen. Predictions are made from the snapshot published with the phase change, after the
    /// lock.
    private func noteForecast(_ snapshot: PoolSnapshot) {
        let forecast = DrainTimeline.Forecast(
            etaP50Seconds: snapshot.etaP50Seconds, etaP90Seconds: snapshot.etaP90Seconds,
            expectedMisses: snapshot.expectedMisses)
        var pMiss: [JobID: Double] = [:]
        for job in snapshot.oldestJobs { pMiss[job.id] = job.pMiss }
        state.withLock { $0.machine.forecastNoted(forecast, pMiss: pMiss) }
    }

    /// Starts the timer's task and hands it to the core, which keeps only the newest timer.
    private func arm(_ timer: PoolStateMachine.Timer) {
        let clock = self.clock
        let task = Task { [weak self] in
            do {
                try await clock.sleep(until: timer.deadline)
            } catch {
                return
            }
            self?.send { machine, now in machine.timerFired(timer.generation, at: now) }
        }
        let stale = state.withLock { $0.adopt(timer: timer, task: task) }
        for task in stale { task.cancel() }
    }

    /// Starts the snapshot tick's task: it sleeps on the pool's clock (off the NIO event loops), then
    /// feeds ``PoolStateMachine/tickFired(_:at:)`` back, whose action publishes and arms the next tick.
    private func armTick(_ tick: PoolStateMachine.Timer) {
        let clock = self.clock
        let task = Task { [weak self] in
            do {
                try await clock.sleep(until: tick.deadline)
            } catch {
                return
            }
            self?.send { machine, now in machine.tickFired(tick.generation, at: now) }
        }
        let stale = state.withLock { $0.adopt(tick: tick, task: task) }
        stale?.cancel()
    }

    private func count(_ deltas: PoolStateMachine.MetricDeltas) {
        if deltas.rejected > 0 { metrics.rejected.increment(by: deltas.rejected) }
        if deltas.completed > 0 { metrics.completed.increment(by: deltas.completed) }
        if deltas.failed > 0 { metrics.failed.increment(by: deltas.failed) }
        if deltas.cancelled > 0 { metrics.cancelled.increment(by: deltas.cancelled) }
        if deltas.requeued > 0 { metrics.requeued.increment(by: deltas.requeued) }
        if deltas.recovered > 0 { metrics.recovered.increment(by: deltas.recovered) }
        if deltas.operationsCompleted > 0 { metrics.operationsCompleted.increment(by: deltas.operationsCompleted) }
        if let duration = deltas.jobDuration { metrics.jobDuration.recordNanoseconds(duration.nanoseconds) }
        if let duration = deltas.operationDuration { metrics.operationDuration.recordNanoseconds(duration.nanoseconds) }
        if let drain = deltas.drainDuration { metrics.drainDuration.recordNanoseconds(drain.nanoseconds) }
    }

    func log(_ events: [DrainEvent]) {
        for event in events {
            logger.notice(
                "\(event.message)",
                metadata: ["drain.event": "\(event.kind.rawValue)", "drain.phase": "\(event.phase)"]
            )
        }
    }
}

/// `1.5s`, `30s`, `2m05s`: durations as operators read them in events and logs.
func format(_ duration: Duration) -> String { DurationFormat.short(duration.seconds) }
