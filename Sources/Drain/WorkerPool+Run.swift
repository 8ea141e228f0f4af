import Foundation
import Logging
import ServiceLifecycle

extension WorkerPool {
    /// Runs the pool until a drain completes.
    ///
    /// Recovers jobs a crashed process left running, then starts queued jobs as slots free up. A graceful
    /// shutdown of the surrounding `ServiceGroup` starts a drain with the default grace; cancelling the
    /// task forces it.
    /// - Throws: ``DrainError`` `alreadyRunning` on a second call, `journal` when recovery fails.
    public func run() async throws {
        try state.withLock { state in
            guard state.lifecycle == .idle else { throw DrainError(.alreadyRunning, "run() was already called") }
            state.lifecycle = .running
        }
        let recovered = try await journal.recover()
        let counts = try await journal.counts()
        let shared = journal.isShared
        let history = await readHistory()
        let started = state.withLock { state -> [DrainEvent] in
            state.queued = counts.queued
            state.shared = shared
            if shared { state.journalReachable = true }
            for (kind, runs) in history {
                // Oldest first, so the newest are the ones the ring keeps.
                for run in runs.reversed() {
                    state.stats[kind, default: DurationSamples()].add(run.seconds, censored: run.censored)
                }
            }
            state.loaded = true
            state.recovered = recovered
            var events = [
                state.event(
                    .started,
                    "\(configuration.name) started: \(counts.queued) queued, up to \(configuration.maxConcurrentJobs) at once",
                    limit: configuration.snapshotEventLimit
                )
            ]
            if recovered > 0 {
                events.append(
                    state.event(
                        .recovered, "recovered \(recovered) jobs left running by a previous process",
                        limit: configuration.snapshotEventLimit
                    )
                )
            }
            return events
        }
        runDeferred()
        if recovered > 0 { metrics.recovered.increment(by: recovered) }
        log(started)
        releaseWaiters()
        wake()

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    if let signals {
                        group.addTask {
                            for await signal in signals { self.handle(signal) }
                        }
                    }
                    if shared {
                        let updates = self.journal.updates { self.workerStatus() }
                        group.addTask {
                            for await update in updates { self.apply(update) }
                        }
                    }
                    if let interval = self.configuration.gaugeRefreshInterval {
                        group.addTask { await self.refreshGauges(every: interval) }
                    }
                    await self.dispatch()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                _ = try? self.drain(cause: .serviceGroup)
            }
        } onCancel: {
            self.force(cause: .serviceGroup)
        }
    }

    private enum Step {
        case claim(Int)
        case abandon
        case stop
        case wait
    }

    /// The one loop that starts jobs and ends the drain; it runs whenever something wakes it.
    private func dispatch() async {
        var wakes = wakeStream.makeAsyncIterator()
        while true {
            let step = state.withLock { state -> Step in
                if state.phase.acceptsWork {
                    let free = configuration.maxConcurrentJobs - state.inFlight.count
                    // A shared queue is fed by others too: its count is a hint, so claim whatever fits
                    // while a claim may find work.
                    let count = state.shared ? (state.claimable ? free : 0) : min(free, state.queued)
                    if count > 0, !state.claiming {
                        state.claiming = true
                        state.claimSeq = state.newsSeq
                        return .claim(count)
                    }
                    return .wait
                }
                if state.claiming { return .wait }
                let abandonable = state.inFlight.entries.values.contains { !$0.finishing }
                if state.phase == .forcing, state.windowExpired, abandonable || !state.operations.isEmpty {
                    return .abandon
                }
                if state.inFlightTotal == 0 || (state.phase == .forcing && state.windowExpired && !abandonable) {
                    return state.inFlight.count == 0 ? .stop : .wait
                }
                return .wait
            }
            switch step {
            case .claim(let count):
                await claim(count)
                continue
            case .abandon:
                await abandon()
                continue
            case .stop:
                await stop()
                return
            case .wait:
                _ = await wakes.next()
            }
        }
    }

    private func claim(_ count: Int) async {
        let jobs: [Job]
        do {
            jobs = try await journal.claim(limit: count)
        } catch {
            logger.error("cannot claim jobs from the journal", metadata: ["drain.error": "\(error)"])
            state.withLock { state in
                state.claiming = false
                if state.shared { state.journalReachable = false }
            }
            // Back off a little so a broken journal does not spin the loop.
            try? await Task.sleep(for: .milliseconds(200))
            wake()
            return
        }
        let (released, inFlight, queued) = state.withLock { state -> ([Job], Int, Int) in
            state.claiming = false
            if state.shared {
                // Fewer rows than asked for: the shared queue is empty for now; wait for news.
                state.claimable = jobs.count == count || state.newsSeq != state.claimSeq
                state.queued = max(0, state.queued - jobs.count)
                state.journalReachable = true
            } else {
                // Fewer rows than counted means the count drifted (a row changed outside this process):
                // trust the journal rather than spin on a claim that finds nothing.
                state.queued = max(0, state.queued - max(jobs.count, jobs.count < count ? count : 0))
            }
            guard state.phase.acceptsWork else {
                state.queued += jobs.count
                return (jobs, state.inFlightTotal, state.queued)
            }
            for job in jobs {
                let task = Task { await self.execute(job) }
                state.inFlight.insert(
                    InFlightIndex.Entry(job: job, started: clock.now, startedAt: Date(), cancel: { task.cancel() })
                )
            }
            return ([], state.inFlightTotal, state.queued)
        }
        metrics.inFlight.set(inFlight)
        metrics.queued.set(queued)
        publishGauges()
        if !released.isEmpty {
            // The drain began while the claim was in the journal: these never started, so they go back
            // with the attempt uncounted.
            let journal = self.journal
            try? await Task { try await journal.settle(released.map { JobOutcome(id: $0.id, result: .released) }) }
                .value
        }
        releaseWaiters()
    }

    /// What earlier processes on this journal observed, so predictions do not start from nothing.
    ///
    /// Predictions can do without it: a journal that cannot say is logged and the pool starts anyway.
    private func readHistory() async -> [String: [RunDuration]] {
        do {
            return try await journal.recentRuns(limit: DurationSamples.defaultCapacity)
        } catch {
            logger.warning(
                "cannot read job durations from the journal; predictions start from the priors",
                metadata: ["drain.error": "\(error)"])
            return [:]
        }
    }

    /// Runs one job and records its outcome; a job abandoned meanwhile is left as the drain put it.
    private func execute(_ job: Job) async {
        guard let handler = state.withLock({ $0.handlers[job.kind] }) else { return }
        let started = clock.now
        let result: JobOutcome.Result
        do {
            try await handler(job)
            result = .done
        } catch {
            if Task.isCancelled || error is CancellationError {
                result = .requeued
            } else {
                result = .failed(String(describing: error))
            }
        }
        guard state.withLock({ $0.inFlight.markFinishing(job.id) }) else { return }
        let journalError = await record(JobOutcome(id: job.id, result: result))
        let ran = clock.now - started
        let (settled, events, inFlight) = state.withLock { state -> (Bool, [DrainEvent], Int) in
            guard state.inFlight.remove(job.id) != nil else { return (false, [], state.inFlightTotal) }
            if state.phase >= .draining { state.settledSinceDrainStart += 1 }
            var events: [DrainEvent] = []
            if journalError != nil {
                // The row stays `running`; the next start (or, on a shared journal, a live worker once this
                // one's lease has run out) recovers it, so the job is not lost.
                events.append(
                    state.event(
                        .jobFailed,
                        state.shared
                            ? "job \(job.id) finished but its outcome could not be written; it runs again once rescued"
                            : "job \(job.id) finished but its outcome could not be written; it runs again after restart",
                        job: job, ran: ran, limit: configuration.snapshotEventLimit
                    )
                )
            }
            switch result {
            case .done:
                state.completed += 1
                state.stats[job.kind, default: DurationSamples()].add(ran.seconds)
            case .failed(let message):
                state.failed += 1
                state.stats[job.kind, default: DurationSamples()].add(ran.seconds)
                events.append(
                    state.event(
                        .jobFailed, "job \(job.id) (\(job.kind)) failed: \(message)", job: job, ran: ran,
                        limit: configuration.snapshotEventLimit
                    )
                )
            case .requeued, .released:
                state.cancelled += 1
                state.requeued += 1
                state.queued += 1
                // Cut short: it would have run at least this long, which the kind's curve must know.
                state.stats[job.kind, default: DurationSamples()].add(ran.seconds, censored: true)
                state.reportJobs.append(
                    .init(id: job.id, kind: job.kind, ranSeconds: ran.seconds, fate: "cancelled", requeued: true)
                )
                events.append(
                    state.event(
                        .jobRequeued, "job \(job.id) (\(job.kind)) cancelled after \(format(ran)) and requeued",
                        job: job, ran: ran, limit: configuration.snapshotEventLimit
                    )
                )
            }
            return (true, events, state.inFlightTotal)
        }
        runDeferred()
        // Metrics after the lock: a metrics backend is foreign code and may be slow.
        if settled {
            switch result {
            case .done:
                metrics.completed.increment()
                metrics.jobDuration.recordNanoseconds(ran.nanoseconds)
            case .failed:
                metrics.failed.increment()
            case .requeued, .released:
                metrics.cancelled.increment()
                metrics.requeued.increment()
            }
            metrics.inFlight.set(inFlight)
            publishGauges()
        }
        log(events)
        wake()
    }

    /// The cancellation window closed: put back every job still running and stop waiting for it.
    private func abandon() async {
        let now = clock.now
        let (abandoned, operationsAbandoned, events) = state.withLock {
            state -> ([JobOutcome], Int, [DrainEvent]) in
            var outcomes: [JobOutcome] = []
            var events: [DrainEvent] = []
            let operations = state.operations.count
            for entry in state.inFlight.oldest(state.inFlight.count) where !entry.finishing {
                state.inFlight.remove(entry.job.id)
                let ran = now - entry.started
                outcomes.append(JobOutcome(id: entry.job.id, result: .requeued))
                state.cancelled += 1
                state.requeued += 1
                state.queued += 1
                state.settledSinceDrainStart += 1
                state.stats[entry.job.kind, default: DurationSamples()].add(ran.seconds, censored: true)
                state.reportJobs.append(
                    .init(
                        id: entry.job.id, kind: entry.job.kind, ranSeconds: ran.seconds, fate: "abandoned",
                        requeued: true
                    )
                )
                events.append(
                    state.event(
                        .jobRequeued,
                        "job \(entry.job.id) (\(entry.job.kind)) ignored cancellation; abandoned after \(format(ran)) and requeued",
                        job: entry.job, ran: ran, limit: configuration.snapshotEventLimit
                    )
                )
            }
            if !state.operations.isEmpty {
                state.cancelled += state.operations.count
                state.settledSinceDrainStart += state.operations.count
                events.append(
                    state.event(
                        .jobCancelled, "\(state.operations.count) tracked operations abandoned",
                        limit: configuration.snapshotEventLimit
                    )
                )
                state.operations = [:]
            }
            return (outcomes, operations, events)
        }
        runDeferred()
        metrics.requeued.increment(by: abandoned.count)
        metrics.cancelled.increment(by: abandoned.count + operationsAbandoned)
        publishGauges()
        log(events)
        do {
            let journal = self.journal
            try await Task { try await journal.settle(abandoned) }.value
        } catch {
            // The rows stay `running`: the next start recovers them, so nothing is lost either way.
            logger.error("cannot requeue abandoned jobs", metadata: ["drain.error": "\(error)"])
        }
    }

    private func stop() async {
        do {
            try await journal.sync()
        } catch {
            // Outcomes not yet synced survive a crash of this process; only a power cut now could run
            // those jobs again.
            logger.error("cannot sync the job journal", metadata: ["drain.error": "\(error)"])
        }
        let report = state.withLock { state -> ShutdownReport in
            if let timer = state.timer { state.pendingCancels.append { timer.cancel() } }
            let forced = state.phase == .forcing
            let stoppedAt = Date()
            let drainSeconds = state.drainStartedAt.map { stoppedAt.timeIntervalSince($0) } ?? 0
            state.phase = .stopped
            let report = ShutdownReport(
                outcome: forced ? .forced : .clean, name: configuration.name, pid: getpid(),
                cause: state.drainCause, drainStartedAt: state.drainStartedAt, stoppedAt: stoppedAt,
                drainSeconds: drainSeconds, graceSeconds: state.grace?.seconds,
                inFlightAtDrainStart: state.inFlightAtDrainStart, completed: state.completed,
                failed: state.failed, cancelled: state.cancelled, requeued: state.requeued,
                recovered: state.recovered, rejected: state.rejected, queued: state.queued,
                jobs: state.reportJobs, completedOperations: state.completedOperations
            )
            state.report = report
            state.lifecycle = .finished
            var event = state.event(
                .stopped,
                "stopped \(report.outcome.rawValue) after \(DurationFormat.fixed(drainSeconds, places: 2))s: \(report.completed) completed, \(report.requeued) requeued",
                cause: state.drainCause, limit: configuration.snapshotEventLimit
            )
            event.report = report
            state.recentEvents[state.recentEvents.count - 1] = event
            state.unpublished[state.unpublished.count - 1] = event
            state.finishSubscriptions = true
            return report
        }
        runDeferred()
        metrics.drainDuration.recordNanoseconds(Int64(report.drainSeconds * 1e9))
        publishGauges()
        logger.notice(
            "drain finished",
            metadata: [
                "drain.outcome": "\(report.outcome.rawValue)",
                "drain.seconds": "\(DurationFormat.fixed(report.drainSeconds, places: 3))",
                "drain.requeued": "\(report.requeued)",
            ]
        )
    }
}
