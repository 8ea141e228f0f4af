import Foundation

extension WorkerPool {
    /// The pool's state now: exact totals, the oldest in-flight jobs, the drain's progress and its
    /// predictions (while running, the planner's view of a drain started now).
    ///
    /// Built fresh for this call. The control socket reads the snapshot the pool publishes every
    /// ``WorkerPoolConfiguration/snapshotInterval`` instead, so its replies cost nothing to make.
    ///
    /// Its cost does not grow with the number of jobs in flight; see ``PoolSnapshot``. The lock is held
    /// only to copy what the snapshot reads (counts, the samples, the start buckets, the oldest entries);
    /// percentiles are sorted and predictions made after it, so a busy poller does not stall the workers.
    public func snapshot() -> PoolSnapshot { takeSnapshot().snapshot }

    /// The latest published snapshot: at most one ``WorkerPoolConfiguration/snapshotInterval`` plus the
    /// time to build it old, and never older than the last phase change or deadline move. Before the first
    /// publication, or without ticks, a fresh one (and it is kept, for a reader that follows).
    package func latestSnapshot() -> PublishedSnapshot {
        if configuration.snapshotInterval != nil, let latest = published.withLock({ $0 }) { return latest }
        return keep(takeSnapshot())
    }

    /// Calls `hook` with every snapshot the pool publishes from now on, on the thread that published it
    /// (the tick's task, or the one that changed the phase), after the pool's lock. The control server
    /// encodes each snapshot there, so its event loops only copy bytes.
    package func onPublish(_ hook: @escaping @Sendable (PublishedSnapshot) -> Void) {
        publishHooks.withLock { $0.append(hook) }
    }

    /// Builds a snapshot and makes it the latest, unless a later state was published meanwhile.
    ///
    /// The control server publishes one for each new subscriber: its first snapshot must be as of now.
    @discardableResult
    package func publishSnapshot() -> PublishedSnapshot {
        let taken = takeSnapshot()
        let latest = keep(taken)
        if latest === taken {
            for hook in publishHooks.withLock({ $0 }) { hook(latest) }
        }
        return latest
    }

    private func keep(_ snapshot: PublishedSnapshot) -> PublishedSnapshot {
        published.withLock { latest in
            if let current = latest, current.seq > snapshot.seq { return current }
            latest = snapshot
            return snapshot
        }
    }

    /// Reads the state under the lock, then computes the predictions and fills the snapshot after it.
    private func takeSnapshot() -> PublishedSnapshot {
        let now = clock.now
        let wallNow = Date()
        let (seq, raw) = state.withLock { core in
            core.snapshotSeq += 1
            return (core.snapshotSeq, Raw(core.machine, oldest: configuration.snapshotJobLimit))
        }
        let secondsLeft = raw.deadline.map { ($0 - now).seconds }
        let input = predictions(raw, now: now, timeLeft: secondsLeft)
        let result = input.compute()
        let forecast = result.forecast
        let kinds = Set(raw.stats.keys).union(raw.kinds.keys).sorted().map { kind in
            let samples = raw.stats[kind] ?? DurationSamples()
            return PoolSnapshot.KindStats(
                kind: kind, inFlight: raw.kinds[kind]?.count ?? 0, samples: samples.count,
                p50Seconds: samples.quantile(0.5), p95Seconds: samples.quantile(0.95),
                predictionSource: result.sources[kind])
        }
        let oldest = zip(raw.oldest, result.jobs).map { entry, job in
            PoolSnapshot.InFlightJob(
                id: entry.job.id, kind: entry.job.kind, attempt: entry.job.attempt, startedAt: entry.startedAt,
                ageSeconds: (now - entry.started).seconds, predictedRemainingSeconds: job.remainingP50,
                pMiss: job.pMiss, predictionSource: job.source)
        }
        let draining = raw.drainStarted != nil
        var snapshot = PoolSnapshot(
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
            etaSeconds: raw.inFlightJobs > 0 ? result.etaUnbounded : 0,
            predictedMisses: secondsLeft == nil ? nil : Int(forecast.expectedMisses.rounded()),
            oldestJobs: oldest, kinds: kinds, recentEvents: raw.recentEvents, report: raw.report,
            completedOperations: raw.completedOperations
        )
        snapshot.journalReachable = raw.journalReachable
        snapshot.waitingForRescue = raw.waitingForRescue
        if secondsLeft != nil {
            snapshot.expectedMisses = forecast.expectedMisses
            snapshot.etaP50Seconds = forecast.etaP50
            snapshot.etaP90Seconds = forecast.etaP90
            snapshot.likelyToMissCount = forecast.likelyToMiss
            snapshot.likelyToMiss = oldest.compactMap { job in
                guard let p = job.pMiss, p >= 0.5 else { return nil }
                return PoolSnapshot.LikelyMiss(id: job.id, kind: job.kind, pMiss: p)
            }
            .sorted { ($0.pMiss, $1.id) > ($1.pMiss, $0.id) }
        } else if raw.phase < .draining {
            snapshot.plan = DrainPlan(
                graceSeconds: input.defaultGrace, etaP50Seconds: forecast.etaP50, etaP90Seconds: forecast.etaP90,
                expectedMisses: forecast.expectedMisses, suggestedGraceSeconds: result.suggestedGrace)
        }
        return PublishedSnapshot(seq: seq, takenAt: now, snapshot: snapshot)
    }

    /// The planner's grace for the jobs in flight now: the time that drains them all with 90 % probability
    /// (nil: none within a day), as a snapshot's plan shows it while running. The state is read under the
    /// lock and the forecast made after it, like a snapshot's.
    func plannedGrace() -> Double? {
        let now = clock.now
        let raw = state.withLock { Raw($0.machine, oldest: configuration.snapshotJobLimit) }
        return predictions(raw, now: now, timeLeft: nil).compute().suggestedGrace
    }

    /// What the predictions of a snapshot (or a plan) start from; `timeLeft` nil plans a drain started now.
    private func predictions(_ raw: Raw, now: Duration, timeLeft: Double?) -> SnapshotPredictions {
        SnapshotPredictions(
            samples: raw.stats.mapValues(\.values), cut: raw.stats.mapValues(\.censoredValues), declared: raw.declared,
            listed: raw.oldest.map {
                .init(kind: $0.job.kind, age: (now - $0.started).seconds, bucket: InFlightIndex.bucket($0.started))
            },
            buckets: raw.kinds.mapValues(\.buckets), now: now.seconds, timeLeft: timeLeft,
            defaultGrace: configuration.defaultGrace.seconds, priorMedian: configuration.priorJobDuration.seconds)
    }

    /// What a snapshot copies under the lock: values, and collections that are copied on write (the
    /// samples, the buckets of kinds in flight), so taking it costs a few retains, not a sort.
    private struct Raw {
        struct Kind {
            var count: Int
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
        var declared: [String: DeclaredDuration]
        var kinds: [String: Kind]
        var oldest: [InFlightIndex.Entry]
        var recentEvents: [DrainEvent]
        var report: ShutdownReport?
        var journalReachable: Bool?
        var waitingForRescue: Int?

        init(_ state: borrowing PoolStateMachine, oldest limit: Int) {
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
            declared = state.declared
            var kinds: [String: Kind] = [:]
            for (kind, count) in state.inFlight.countByKind {
                kinds[kind] = Kind(count: count, buckets: state.inFlight.buckets(kind: kind))
            }
            self.kinds = kinds
            oldest = state.inFlight.oldest(limit)
            recentEvents = state.recentEvents
            report = state.report
            journalReachable = state.journalReachable
            waitingForRescue = state.waitingForRescue
        }
    }
}
