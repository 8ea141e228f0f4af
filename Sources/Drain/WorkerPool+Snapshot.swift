import Foundation

extension WorkerPool {
    /// The pool's state now: exact totals, the oldest in-flight jobs and the drain's progress.
    ///
    /// Its cost does not grow with the number of jobs in flight; see ``PoolSnapshot``.
    public func snapshot() -> PoolSnapshot {
        let now = clock.now
        let wallNow = Date()
        return state.withLock { state in
            let secondsLeft = state.deadline.map { ($0 - now).seconds }
            var kinds: [PoolSnapshot.KindStats] = []
            var eta: Double?
            var misses = 0
            let kindNames = Set(state.stats.keys).union(state.inFlight.countByKind.keys).sorted()
            for kind in kindNames {
                let samples = state.stats[kind] ?? DurationSamples()
                let p50 = samples.quantile(0.5)
                let p95 = samples.quantile(0.95)
                let inFlight = state.inFlight.countByKind[kind] ?? 0
                kinds.append(
                    .init(kind: kind, inFlight: inFlight, samples: samples.count, p50Seconds: p50, p95Seconds: p95))
                guard inFlight > 0, let p50, let p95 else { continue }
                // The newest job of a kind is the last expected to finish; p95 keeps the ETA honest.
                if let newest = state.inFlight.newestStart(kind: kind) {
                    eta = max(eta ?? 0, (newest + .milliseconds(Int64(p95 * 1000)) - now).seconds)
                }
                if let deadline = state.deadline {
                    misses += state.inFlight.startedAfter(deadline - .milliseconds(Int64(p50 * 1000)), kind: kind)
                }
            }
            let oldest = state.inFlight.oldest(configuration.snapshotJobLimit).map { entry in
                let age = (now - entry.started).seconds
                if let remaining = state.stats[entry.job.kind]?.predictedRemaining(age: age) {
                    eta = max(eta ?? 0, remaining)
                }
                return PoolSnapshot.InFlightJob(
                    id: entry.job.id, kind: entry.job.kind, attempt: entry.job.attempt, startedAt: entry.startedAt,
                    ageSeconds: age,
                    predictedRemainingSeconds: state.stats[entry.job.kind]?.predictedRemaining(age: age)
                )
            }
            let draining = state.drainStarted != nil
            return PoolSnapshot(
                name: configuration.name, pid: getpid(), time: wallNow, phase: state.phase,
                ready: state.phase.isReady, uptimeSeconds: now.seconds, inFlight: state.inFlightTotal,
                inFlightJobs: state.inFlight.count, inFlightOperations: state.operations.count, loaded: state.loaded,
                queued: state.queued, completed: state.completed, failed: state.failed, rejected: state.rejected,
                cancelled: state.cancelled, requeued: state.requeued, recovered: state.recovered,
                maxConcurrentJobs: configuration.maxConcurrentJobs, drainCause: state.drainCause,
                drainStartedAt: state.drainStartedAt, graceSeconds: state.grace?.seconds,
                deadline: secondsLeft.map { wallNow.addingTimeInterval($0) }, secondsLeft: secondsLeft,
                inFlightAtDrainStart: draining ? state.inFlightAtDrainStart : nil,
                drainedSinceStart: draining ? state.settledSinceDrainStart : nil,
                etaSeconds: state.inFlightTotal > 0 ? eta : 0,
                predictedMisses: state.deadline == nil ? nil : misses,
                oldestJobs: oldest, kinds: kinds, recentEvents: state.recentEvents, report: state.report,
                completedOperations: state.completedOperations
            )
        }
    }
}
