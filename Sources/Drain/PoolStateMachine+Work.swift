import Foundation

/// The work the pool does: start, submits and their back-pressure, claims, jobs, tracked operations and a
/// shared journal's news.
extension PoolStateMachine {
    /// How a submit may go on.
    enum SubmitDecision: Equatable {
        /// A slot is reserved: write the job to the journal, then report ``appended(at:)`` or
        /// ``appendFailed()``.
        case reserved
        /// The queue is full: wait with this ticket (``waiterRegistered(_:cancelled:)``).
        case wait(UInt64)
    }

    // MARK: Start

    mutating func register(kind: String, declared: DeclaredDuration?) {
        kinds.insert(kind)
        self.declared[kind] = declared
    }

    /// `run()` was called.
    /// - Throws: ``DrainError`` `alreadyRunning` on a second call.
    mutating func runRequested() throws(DrainError) {
        guard lifecycle == .idle else { throw DrainError(.alreadyRunning, "run() was already called") }
        lifecycle = .running
    }

    /// The journal is open: its queue, what an earlier process left running, and the runs it remembers.
    mutating func loaded(
        queued: Int, shared: Bool, recovered: Int, history: [String: [RunDuration]], at now: Now
    ) -> Action {
        let now = clamp(now)
        var action = Action()
        setLoaded(queued: queued, shared: shared, recovered: recovered)
        for (kind, runs) in history {
            // Oldest first, so the newest are the ones the ring keeps.
            for run in runs.reversed() {
                stats[kind, default: DurationSamples()].add(run.seconds, censored: run.censored)
            }
        }
        record(
            .started,
            "\(configuration.name) started: \(queued) queued, up to \(configuration.maxConcurrentJobs) at once",
            at: now, into: &action)
        if recovered > 0 {
            record(.recovered, "recovered \(recovered) jobs left running by a previous process", at: now, into: &action)
            action.metrics.recovered += recovered
        }
        admitWaiters(into: &action)
        armTick(at: now, into: &action)
        action.wake = true
        return action
    }

    // MARK: Submits

    /// A submit of `kind` asks for a slot.
    /// - Throws: ``DrainError`` `unknownKind`, or `notAccepting` once draining began (counted as rejected;
    ///   the runner counts the metric).
    mutating func submitRequested(kind: String) throws(DrainError) -> SubmitDecision {
        guard kinds.contains(kind) else {
            throw DrainError(.unknownKind, "no handler is registered for job kind '\(kind)'")
        }
        guard phase.acceptsWork else {
            rejected += 1
            throw DrainError(.notAccepting, "the pool is \(phase): new jobs are refused")
        }
        if hasRoom, waiters.isEmpty {
            reserved += 1
            return .reserved
        }
        return .wait(newTicket())
    }

    /// A waiting submit's continuation is stored under `ticket`; it may be admitted or refused at once.
    ///
    /// - Parameter cancelled: The submit's task was cancelled before it could wait: it is not queued.
    /// - Returns: What to do; it resumes or refuses this waiter when it need not wait.
    mutating func waiterRegistered(_ ticket: UInt64, cancelled: Bool) -> Action {
        var action = Action()
        guard !cancelled else { return action }
        waiters.append(ticket)
        admitWaiters(into: &action)
        return action
    }

    /// A waiting submit's task was cancelled.
    /// - Returns: Whether it was still waiting (its continuation is then the caller's to fail).
    mutating func waiterCancelled(_ ticket: UInt64) -> Bool {
        guard let index = waiters.firstIndex(of: ticket) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// A submit's job is durable.
    mutating func appended() -> Action {
        var action = Action()
        reserved -= 1
        queued += 1
        noteNews()
        action.wake = true
        return action
    }

    /// A submit's journal write failed: its slot is free again.
    mutating func appendFailed() -> Action {
        var action = Action()
        reserved -= 1
        admitWaiters(into: &action)
        return action
    }

    // MARK: Claims and jobs

    /// The journal answered a ``Step/claim(_:)`` for `requested` jobs.
    /// - Returns: The jobs to start (their tasks are the runner's), and the jobs to hand back unstarted
    ///   because the drain began while the claim was in the journal.
    mutating func claimed(_ jobs: [Job], requested: Int, at now: Now) -> (start: [Job], release: [Job], action: Action)
    {
        let now = clamp(now)
        var action = Action()
        claiming = false
        if shared {
            // Fewer rows than asked for: the shared queue is empty for now; wait for news.
            claimable = jobs.count == requested || newsSeq != claimSeq
            queued = max(0, queued - jobs.count)
            journalReachable = true
        } else {
            // Fewer rows than counted means the count drifted (a row changed outside this process): trust
            // the journal rather than spin on a claim that finds nothing.
            queued = max(0, queued - max(jobs.count, jobs.count < requested ? requested : 0))
        }
        admitWaiters(into: &action)
        action.wake = true
        guard phase.acceptsWork else {
            queued += jobs.count
            return ([], jobs, action)
        }
        for job in jobs {
            inFlight.insert(InFlightIndex.Entry(job: job, started: now.offset, startedAt: now.date))
        }
        return (jobs, [], action)
    }

    /// A claim failed: the journal is unreachable or broken.
    mutating func claimFailed() {
        claiming = false
        if shared { journalReachable = false }
    }

    /// A job's task was created: whether to cancel it at once, because forcing began before it existed.
    func shouldCancelNewTask(_ id: JobID) -> Bool {
        phase >= .forcing && inFlight.entries[id]?.finishing == false
    }

    /// A job's handler returned; its outcome is about to be written.
    /// - Returns: False when the job was abandoned meanwhile: it is left as the drain put it.
    mutating func jobFinishing(_ id: JobID) -> Bool { inFlight.markFinishing(id) }

    /// A finished job's outcome was written (or could not be: `journalFailed`).
    mutating func jobSettled(_ id: JobID, result: JobOutcome.Result, journalFailed: Bool, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        guard let entry = inFlight.remove(id) else { return action }
        let job = entry.job
        let ran = now.offset - entry.started
        if phase >= .draining { settledSinceDrainStart += 1 }
        if journalFailed {
            // The row stays `running`; the next start (or, on a shared journal, a live worker once this one's
            // lease has run out) recovers it, so the job is not lost.
            record(
                .jobFailed,
                shared
                    ? "job \(job.id) finished but its outcome could not be written; it runs again once rescued"
                    : "job \(job.id) finished but its outcome could not be written; it runs again after restart",
                at: now, job: job, ran: ran, into: &action)
        }
        switch result {
        case .done: endLane(job: id, .done, at: now)
        case .failed: endLane(job: id, .failed, at: now)
        case .requeued, .released: endLane(job: id, .cancelled, at: now)
        }
        switch result {
        case .done:
            completed += 1
            addSample(job.kind, ran)
            action.metrics.completed += 1
            action.metrics.jobDuration = ran
        case .failed(let message):
            failed += 1
            addSample(job.kind, ran)
            action.metrics.failed += 1
            record(
                .jobFailed, "job \(job.id) (\(job.kind)) failed: \(message)", at: now, job: job, ran: ran, into: &action
            )
        case .requeued, .released:
            cancelled += 1
            requeued += 1
            queued += 1
            action.metrics.cancelled += 1
            action.metrics.requeued += 1
            // Cut short: it would have run at least this long, which the kind's curve must know.
            addSample(job.kind, ran, censored: true)
            reportJobs.append(
                .init(id: job.id, kind: job.kind, ranSeconds: ran.seconds, fate: "cancelled", requeued: true))
            record(
                .jobRequeued, "job \(job.id) (\(job.kind)) cancelled after \(format(ran)) and requeued", at: now,
                job: job, ran: ran, into: &action)
        }
        action.wake = true
        return action
    }

    // MARK: Tracked operations

    /// Work the pool does not own asks to start.
    /// - Throws: ``DrainError`` `notAccepting` once draining began (counted as rejected).
    mutating func operationRequested(_ name: String, at now: Now) throws(DrainError) -> (UInt64, Action) {
        let now = clamp(now)
        var action = Action()
        guard phase.acceptsWork else {
            rejected += 1
            action.metrics.rejected += 1
            throw DrainError(.notAccepting, "the pool is \(phase): new operations are refused")
        }
        let id = newOperationID()
        operations[id] = (name, now.offset)
        return (id, action)
    }

    /// An operation's task was created: whether to cancel it at once, because forcing began before it existed.
    func shouldCancelNewOperation(_ id: UInt64) -> Bool { phase >= .forcing && operations[id] != nil }

    /// A tracked operation returned (`succeeded`) or threw; `cancelled` when its task was cancelled.
    mutating func operationEnded(_ id: UInt64, succeeded: Bool, cancelled: Bool, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        // Gone when a forced drain abandoned it: it was counted then.
        guard let operation = operations.removeValue(forKey: id) else { return action }
        if phase >= .draining { settledSinceDrainStart += 1 }
        action.wake = true
        endLane(operation: id, cancelled && phase >= .forcing ? .cancelled : succeeded ? .done : .failed, at: now)
        if cancelled, phase >= .forcing {
            self.cancelled += 1
            action.metrics.cancelled += 1
            return action
        }
        if !succeeded {
            failed += 1
            return action
        }
        // Counted with the jobs, so the report, `status` and the dashboard's banner show the requests a
        // drain answered; `completedOperations` keeps the split.
        completed += 1
        completedOperations += 1
        action.metrics.operationsCompleted += 1
        action.metrics.operationDuration = now.offset - operation.started
        return action
    }

    // MARK: A shared journal

    /// A shared journal's news: the fleet's queue, a wake-up, rescued jobs, reachability.
    mutating func journalUpdate(_ update: JournalUpdate, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        // The report is written: news arriving while the pool winds down its tasks changes nothing.
        guard phase != .stopped else { return action }
        if let queued = update.queued { self.queued = queued }
        if update.wake || (update.queued ?? 0) > 0 { noteNews() }
        if let reachable = update.reachable { journalReachable = reachable }
        if let waiting = update.waitingForRescue { waitingForRescue = waiting }
        if update.rescued > 0 {
            recovered += update.rescued
            action.metrics.recovered += update.rescued
            record(.recovered, "rescued \(update.rescued) jobs left running by a dead worker", at: now, into: &action)
        }
        admitWaiters(into: &action)
        action.wake = true
        return action
    }

    /// An outcome reached the journal.
    mutating func outcomeWritten() {
        if shared { journalReachable = true }
    }

    /// An outcome could not be written.
    ///
    /// A private journal gets one try: its row stays `running` and the next start recovers it. A shared
    /// journal is retried until the drain is over (the forced window closed), because the database may be
    /// restarting and this worker's peers would otherwise wait a lease to rescue the job.
    /// - Returns: Whether to retry.
    mutating func outcomeWriteFailed() -> Bool {
        guard shared else { return false }
        journalReachable = false
        return !(phase == .stopped || (phase == .forcing && windowExpired))
    }

    /// An operator command (from the control socket), recorded so the log shows who did what.
    mutating func audit(_ message: String, cause: DrainCause, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        record(.command, "\(message) by \(cause)", at: now, cause: cause, into: &action)
        return action
    }
}
