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

    /// Writes one outcome; returns the error when it could not be written.
    ///
    /// A private journal gets one try; a shared one is retried with backoff for as long as
    /// ``PoolStateMachine/outcomeWriteFailed()`` says. The retries run in a task of their own, so a forced
    /// drain cancelling the job does not cut them short.
    func record(_ outcome: JobOutcome) async -> (any Error)? {
        await Task {
            var delay = Duration.milliseconds(50)
            while true {
                do {
                    try await settles.commit(outcome)
                    state.withLock { $0.machine.outcomeWritten() }
                    return nil
                } catch {
                    let retry = state.withLock { $0.machine.outcomeWriteFailed() }
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
