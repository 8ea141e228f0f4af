import Foundation

extension WorkerPool {
    /// What the journal's workers table shows for this pool: the snapshot's drain and its prediction.
    ///
    /// From ``snapshot()`` rather than the lock alone, so the fleet view and `drainctl top` on this
    /// process show one prediction. Once a second, on the heartbeat's task: its cost does not grow with
    /// the jobs in flight.
    func workerStatus() -> WorkerStatus {
        let snapshot = snapshot()
        return WorkerStatus(
            phase: snapshot.phase, inFlight: snapshot.inFlight, deadline: snapshot.deadline,
            drainedSinceStart: snapshot.drainedSinceStart, graceSeconds: snapshot.graceSeconds,
            inFlightAtDrainStart: snapshot.inFlightAtDrainStart, etaP50Seconds: snapshot.etaP50Seconds,
            etaP90Seconds: snapshot.etaP90Seconds, expectedMisses: snapshot.expectedMisses)
    }

    /// Takes in a shared journal's news: the fleet's queue, a wake-up, rescued jobs, reachability.
    func apply(_ update: JournalUpdate) {
        let events = state.withLock { state -> [DrainEvent] in
            if let queued = update.queued { state.queued = queued }
            if update.wake || (update.queued ?? 0) > 0 { state.noteNews() }
            if let reachable = update.reachable { state.journalReachable = reachable }
            if let waiting = update.waitingForRescue { state.waitingForRescue = waiting }
            guard update.rescued > 0 else { return [] }
            state.recovered += update.rescued
            let event = state.event(
                .recovered, "rescued \(update.rescued) jobs left running by a dead worker",
                limit: configuration.snapshotEventLimit
            )
            return [event]
        }
        runDeferred()
        if update.rescued > 0 { metrics.recovered.increment(by: update.rescued) }
        log(events)
        releaseWaiters()
        wake()
    }

    /// Writes one outcome; returns the error when it could not be written.
    ///
    /// A private journal gets one try: its row stays `running` and the next start recovers it. A shared
    /// journal is retried with backoff until the drain is over (the forced window closed), because the
    /// database may be restarting and this worker's peers would otherwise wait a lease to rescue the job.
    /// The retries run in a task of their own, so a forced drain cancelling the job does not cut them
    /// short.
    func record(_ outcome: JobOutcome) async -> (any Error)? {
        await Task {
            var delay = Duration.milliseconds(50)
            while true {
                do {
                    try await settles.commit(outcome)
                    state.withLock { state in
                        if state.shared { state.journalReachable = true }
                    }
                    return nil
                } catch {
                    let retry = state.withLock { state -> Bool in
                        guard state.shared else { return false }
                        state.journalReachable = false
                        return !(state.phase == .stopped || (state.phase == .forcing && state.windowExpired))
                    }
                    guard retry else { return error }
                    logger.warning(
                        "cannot write a job's outcome; retrying",
                        metadata: ["drain.job.id": "\(outcome.id)", "drain.error": "\(error)"]
                    )
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .milliseconds(500))
                }
            }
        }.value
    }
}
