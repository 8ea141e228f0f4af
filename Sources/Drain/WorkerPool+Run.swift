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
        try state.withLock { core throws(DrainError) in try core.machine.runRequested() }
        let recovered = try await journal.recover()
        let counts = try await journal.counts()
        let shared = journal.isShared
        let history = await readHistory()
        send { machine, now in
            machine.loaded(queued: counts.queued, shared: shared, recovered: recovered, history: history, at: now)
        }

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
                            for await update in updates {
                                self.send { machine, now in machine.journalUpdate(update, at: now) }
                            }
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

    /// The one loop that claims jobs, abandons them when the window closes, and stops the pool; the machine
    /// says which, and the loop waits for a wake-up when it says nothing.
    private func dispatch() async {
        var wakes = wakeStream.makeAsyncIterator()
        while true {
            let step = send { machine, now in machine.nextStep(at: now) }
            switch step {
            case .claim(let count):
                await claim(count)
            case .abandon(let outcomes):
                await settle(outcomes, what: "requeue abandoned jobs")
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
            state.withLock { $0.machine.claimFailed() }
            // Back off a little so a broken journal does not spin the loop.
            try? await Task.sleep(for: .milliseconds(200))
            wake()
            return
        }
        let (start, release) = send { machine, now in
            let (start, release, action) = machine.claimed(jobs, requested: count, at: now)
            return ((start, release), action)
        }
        for job in start {
            let task = Task { await self.execute(job) }
            let cancelNow = state.withLock { core -> Bool in
                // The job may have ended already (a quick handler): keep no handle to a finished task.
                guard core.machine.inFlight.entries[job.id] != nil else { return false }
                core.jobTasks[job.id] = task
                return core.machine.shouldCancelNewTask(job.id)
            }
            if cancelNow { task.cancel() }
        }
        if !release.isEmpty {
            // The drain began while the claim was in the journal: these never started, so they go back with
            // the attempt uncounted.
            await settle(release.map { JobOutcome(id: $0.id, result: .released) }, what: "release unstarted jobs")
        }
    }

    /// Writes outcomes the journal must know, in a task of its own so the dispatcher's cancellation does not
    /// cut the write short. A failure loses nothing: the rows stay `running` and are recovered.
    private func settle(_ outcomes: [JobOutcome], what: String) async {
        guard !outcomes.isEmpty else { return }
        let journal = self.journal
        do {
            try await Task { try await journal.settle(outcomes) }.value
        } catch {
            logger.error("cannot \(what)", metadata: ["drain.error": "\(error)"])
        }
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
        defer { state.withLock { _ = $0.jobTasks.removeValue(forKey: job.id) } }
        guard let handler = state.withLock({ $0.handlers[job.kind] }) else { return }
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
        guard state.withLock({ $0.machine.jobFinishing(job.id) }) else { return }
        let journalError = await record(JobOutcome(id: job.id, result: result))
        send { machine, now in
            machine.jobSettled(job.id, result: result, journalFailed: journalError != nil, at: now)
        }
    }

    private func stop() async {
        do {
            try await journal.sync()
        } catch {
            // Outcomes not yet synced survive a crash of this process; only a power cut now could run those
            // jobs again.
            logger.error("cannot sync the job journal", metadata: ["drain.error": "\(error)"])
        }
        // Decided now, published only once the journal has kept the drain: the final report names the
        // drain's ID in the history (`drainctl report 42`, which `top`'s end banner shows), and the journal
        // gives that ID only when it records the drain.
        let now = now()
        var (report, execution) = state.withLock { core in
            let (report, action) = core.machine.stopped(at: now, pid: getpid())
            return (report, core.resolve(action, at: now.offset))
        }
        // The drain history (issue 21): only a pool that drained has a drain to remember.
        if report.drainStartedAt != nil {
            do {
                if let id = try await journal.recordDrain(report) {
                    report.historyID = id
                    for index in execution.action.events.indices where execution.action.events[index].report != nil {
                        execution.action.events[index].report = report
                    }
                    state.withLock { core in
                        core.machine.report = report
                        // The stopped event, as later subscribers replay it.
                        for index in core.machine.recentEvents.indices
                        where core.machine.recentEvents[index].report != nil {
                            core.machine.recentEvents[index].report = report
                        }
                    }
                }
            } catch {
                logger.warning("cannot keep the drain in the journal's history", metadata: ["drain.error": "\(error)"])
            }
        }
        perform(execution)
        // Another runner may be setting the gauges and have taken this reading over: the stopped pool's
        // gauges are in the backend before run() returns and an exporter takes its last look.
        await gaugeWriter.flush()
        logger.notice(
            "drain finished",
            metadata: [
                "drain.outcome": "\(report.outcome.rawValue)",
                "drain.seconds": "\(DurationFormat.fixed(report.drainSeconds, places: 3))",
                "drain.requeued": "\(report.requeued)",
            ]
        )
    }

    /// Keeps the gauges fresh between transitions (seconds left moves on its own), until cancelled. Its
    /// readings are numbered like the transitions' (``GaugeWriter``), so neither overwrites a newer one.
    func refreshGauges(every interval: Duration) async {
        var next = clock.now
        while !Task.isCancelled {
            let now = clock.now
            let gauges = state.withLock { $0.readGauges(at: now) }
            gaugeWriter.set(gauges.values, sequence: gauges.sequence)
            next += interval
            do {
                try await clock.sleep(until: next)
            } catch {
                return
            }
        }
    }
}
