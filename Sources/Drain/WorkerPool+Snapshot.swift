import Foundation

extension WorkerPool {
    /// The pool's state now: exact totals, the oldest in-flight jobs, the drain's progress and its
    /// predictions (while running, the planner's view of a drain started now).
    ///
    /// Its cost does not grow with the number of jobs in flight; see ``PoolSnapshot``.
    public func snapshot() -> PoolSnapshot {
        let now = clock.now
        let wallNow = Date()
        var (snapshot, input) = state.withLock { state -> (PoolSnapshot, SnapshotPredictions) in
            let secondsLeft = state.deadline.map { ($0 - now).seconds }
            var kinds: [PoolSnapshot.KindStats] = []
            let kindNames = Set(state.stats.keys).union(state.inFlight.countByKind.keys).sorted()
            for kind in kindNames {
                let samples = state.stats[kind] ?? DurationSamples()
                kinds.append(
                    .init(
                        kind: kind, inFlight: state.inFlight.countByKind[kind] ?? 0, samples: samples.count,
                        p50Seconds: samples.quantile(0.5), p95Seconds: samples.quantile(0.95)))
            }
            let listed = state.inFlight.oldest(configuration.snapshotJobLimit)
            let oldest = listed.map { entry in
                PoolSnapshot.InFlightJob(
                    id: entry.job.id, kind: entry.job.kind, attempt: entry.job.attempt, startedAt: entry.startedAt,
                    ageSeconds: (now - entry.started).seconds, predictedRemainingSeconds: nil
                )
            }
            let draining = state.drainStarted != nil
            let snapshot = PoolSnapshot(
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
                etaSeconds: nil, predictedMisses: nil,
                oldestJobs: oldest, kinds: kinds, recentEvents: state.recentEvents, report: state.report
            )
            // Copies only, bounded; the model runs after the lock is released.
            let input = SnapshotPredictions(
                samples: state.stats.mapValues(\.values), declared: state.declared,
                listed: listed.map {
                    .init(kind: $0.job.kind, age: (now - $0.started).seconds, bucket: InFlightIndex.bucket($0.started))
                },
                buckets: state.inFlight.startBuckets, now: now.seconds, timeLeft: secondsLeft,
                defaultGrace: configuration.defaultGrace.seconds, priorMedian: configuration.priorJobDuration.seconds)
            return (snapshot, input)
        }
        let result = input.compute()
        let forecast = result.forecast
        for index in snapshot.oldestJobs.indices {
            let job = result.jobs[index]
            snapshot.oldestJobs[index].pMiss = job.pMiss
            snapshot.oldestJobs[index].predictionSource = job.source
            snapshot.oldestJobs[index].predictedRemainingSeconds = job.remainingP50
        }
        for index in snapshot.kinds.indices {
            snapshot.kinds[index].predictionSource = result.sources[snapshot.kinds[index].kind]
        }
        snapshot.etaSeconds = snapshot.inFlightJobs > 0 ? result.etaUnbounded : 0
        if input.timeLeft != nil {
            snapshot.predictedMisses = Int(forecast.expectedMisses.rounded())
            snapshot.expectedMisses = forecast.expectedMisses
            snapshot.etaP50Seconds = forecast.etaP50
            snapshot.etaP90Seconds = forecast.etaP90
            snapshot.likelyToMissCount = forecast.likelyToMiss
            snapshot.likelyToMiss = snapshot.oldestJobs.compactMap { job in
                guard let p = job.pMiss, p >= 0.5 else { return nil }
                return PoolSnapshot.LikelyMiss(id: job.id, kind: job.kind, pMiss: p)
            }
            .sorted { ($0.pMiss, $1.id) > ($1.pMiss, $0.id) }
        } else if snapshot.phase < .draining {
            snapshot.plan = DrainPlan(
                graceSeconds: input.defaultGrace, etaP50Seconds: forecast.etaP50, etaP90Seconds: forecast.etaP90,
                expectedMisses: forecast.expectedMisses, suggestedGraceSeconds: result.suggestedGrace)
        }
        return snapshot
    }
}
