import Foundation

extension WorkerPool {
    /// The pool's state now: exact totals, the oldest in-flight jobs and the drain's progress.
    ///
    /// Its cost does not grow with the number of jobs in flight; see ``PoolSnapshot``. The lock is held
    /// only to copy what the snapshot reads (counts, the samples, the oldest entries); percentiles are
    /// sorted and predictions made after it, so a busy poller does not stall the workers.
    public func snapshot() -> PoolSnapshot {
        let now = clock.now
        let wallNow = Date()
        let raw = state.withLock { state in Raw(state, oldest: configuration.snapshotJobLimit) }
        let secondsLeft = raw.deadline.map { ($0 - now).seconds }
        var kinds: [PoolSnapshot.KindStats] = []
        var eta: Double?
        var misses = 0
        let kindNames = Set(raw.stats.keys).union(raw.kinds.keys).sorted()
        for kind in kindNames {
            let samples = raw.stats[kind] ?? DurationSamples()
            let p50 = samples.quantile(0.5)
            let p95 = samples.quantile(0.95)
            let inFlight = raw.kinds[kind]?.count ?? 0
            kinds.append(
                .init(kind: kind, inFlight: inFlight, samples: samples.count, p50Seconds: p50, p95Seconds: p95))
            guard inFlight > 0, let p50, let p95, let live = raw.kinds[kind] else { continue }
            // The newest job of a kind is the last expected to finish; p95 keeps the ETA honest.
            if let newest = live.newestStart {
                eta = max(eta ?? 0, (newest + .milliseconds(Int64(p95 * 1000)) - now).seconds)
            }
            if let deadline = raw.deadline {
                misses += InFlightIndex.count(in: live.buckets, after: deadline - .milliseconds(Int64(p50 * 1000)))
            }
        }
        let oldest = raw.oldest.map { entry in
            let age = (now - entry.started).seconds
            let remaining = raw.stats[entry.job.kind]?.predictedRemaining(age: age)
            if let remaining { eta = max(eta ?? 0, remaining) }
            return PoolSnapshot.InFlightJob(
                id: entry.job.id, kind: entry.job.kind, attempt: entry.job.attempt, startedAt: entry.startedAt,
                ageSeconds: age, predictedRemainingSeconds: remaining
            )
        }
        let draining = raw.drainStarted != nil
        return PoolSnapshot(
            name: configuration.name, pid: getpid(), time: wallNow, phase: raw.phase,
            ready: raw.phase.isReady, uptimeSeconds: now.seconds, inFlight: raw.inFlightTotal,
            inFlightJobs: raw.inFlightJobs, inFlightOperations: raw.inFlightOperations, loaded: raw.loaded,
            queued: raw.queued, completed: raw.completed, failed: raw.failed, rejected: raw.rejected,
            cancelled: raw.cancelled, requeued: raw.requeued, recovered: raw.recovered,
            maxConcurrentJobs: configuration.maxConcurrentJobs, drainCause: raw.drainCause,
            drainStartedAt: raw.drainStartedAt, graceSeconds: raw.grace?.seconds,
            deadline: secondsLeft.map { wallNow.addingTimeInterval($0) }, secondsLeft: secondsLeft,
            inFlightAtDrainStart: draining ? raw.inFlightAtDrainStart : nil,
            drainedSinceStart: draining ? raw.settledSinceDrainStart : nil,
            etaSeconds: raw.inFlightTotal > 0 ? eta : 0,
            predictedMisses: raw.deadline == nil ? nil : misses,
            oldestJobs: oldest, kinds: kinds, recentEvents: raw.recentEvents, report: raw.report,
            completedOperations: raw.completedOperations
        )
    }

    /// What a snapshot copies under the lock: values, and collections that are copied on write (the
    /// samples, the buckets of kinds in flight), so taking it costs a few retains, not a sort.
    private struct Raw {
        struct Kind {
            var count: Int
            var newestStart: Duration?
            var buckets: [Int64: Int]
        }

        var phase: DrainPhase
        var loaded: Bool
        var inFlightTotal, inFlightJobs, inFlightOperations: Int
        var queued, completed, completedOperations, failed, rejected, cancelled, requeued, recovered: Int
        var drainCause: DrainCause?
        var drainStarted: Duration?
        var drainStartedAt: Date?
        var grace: Duration?
        var deadline: Duration?
        var inFlightAtDrainStart, settledSinceDrainStart: Int
        var stats: [String: DurationSamples]
        var kinds: [String: Kind]
        var oldest: [InFlightIndex.Entry]
        var recentEvents: [DrainEvent]
        var report: ShutdownReport?

        init(_ state: borrowing PoolState, oldest limit: Int) {
            phase = state.phase
            loaded = state.loaded
            inFlightTotal = state.inFlightTotal
            inFlightJobs = state.inFlight.count
            inFlightOperations = state.operations.count
            queued = state.queued
            completed = state.completed
            completedOperations = state.completedOperations
            failed = state.failed
            rejected = state.rejected
            cancelled = state.cancelled
            requeued = state.requeued
            recovered = state.recovered
            drainCause = state.drainCause
            drainStarted = state.drainStarted
            drainStartedAt = state.drainStartedAt
            grace = state.grace
            deadline = state.deadline
            inFlightAtDrainStart = state.inFlightAtDrainStart
            settledSinceDrainStart = state.settledSinceDrainStart
            stats = state.stats
            var kinds: [String: Kind] = [:]
            for (kind, count) in state.inFlight.countByKind {
                kinds[kind] = Kind(
                    count: count, newestStart: state.inFlight.newestStart(kind: kind),
                    buckets: state.inFlight.buckets(kind: kind))
            }
            self.kinds = kinds
            oldest = state.inFlight.oldest(limit)
            recentEvents = state.recentEvents
            report = state.report
        }
    }
}
