/// A way of predicting which jobs miss the deadline, scored against the same drains.
enum Predictor: String, Sendable, Codable, CaseIterable {
    /// The model of issue 12: P(miss) from the kind's survival curve conditioned on the job's age.
    case model
    /// The rule the snapshot used before it, re-applied to the same samples: a job misses when its kind's
    /// median, less its age, is past the time left (yes or no), and the ETA is the p95 after the newest
    /// job's start or the point remaining of the oldest.
    case previous
    /// A naive baseline: a job misses when its kind's median duration is longer than the time left,
    /// whatever its age.
    case naive
    /// The reference: P(miss) from drain-demo's own duration distributions (``DemoWorkload``), which
    /// no predictor that cannot read the payload can beat on average.
    case oracle

    /// The chance this predictor gives `job` of missing; nil when it cannot say (a model prediction absent).
    func pMiss(_ job: DrainObservation.Job, in drain: DrainObservation) -> Double {
        switch self {
        case .model:
            return job.pMiss ?? 0
        case .previous:
            guard let p50 = drain.kindP50[job.kind] else { return 0 }
            return p50 - job.ageSeconds > drain.secondsLeft ? 1 : 0
        case .naive:
            guard let p50 = drain.kindP50[job.kind] else { return 0 }
            return p50 > drain.secondsLeft ? 1 : 0
        case .oracle:
            return DemoWorkload.pMiss(
                job.kind, age: job.ageSeconds, further: drain.secondsLeft, scale: drain.durationScale)
        }
    }

    /// The predicted number of misses.
    func expectedMisses(in drain: DrainObservation) -> Double {
        switch self {
        case .model: drain.expectedMisses ?? drain.jobs.reduce(0) { $0 + pMiss($1, in: drain) }
        case .previous, .naive, .oracle: drain.jobs.reduce(0) { $0 + pMiss($1, in: drain) }
        }
    }

    /// A point prediction of the time from the prediction to the end of the drain; nil when it has none.
    func eta(in drain: DrainObservation) -> Double? {
        switch self {
        case .model:
            return drain.etaP50Seconds
        case .previous:
            var eta: Double?
            for job in drain.jobs {
                guard let p50 = drain.kindP50[job.kind], let p95 = drain.kindP95[job.kind] else { continue }
                let remaining =
                    job.ageSeconds < p50
                    ? p50 - job.ageSeconds : job.ageSeconds < p95 ? p95 - job.ageSeconds : job.ageSeconds * 0.5
                eta = max(eta ?? 0, remaining, p95 - job.ageSeconds)
            }
            return drain.jobs.isEmpty ? 0 : eta
        case .naive:
            var eta: Double?
            for job in drain.jobs {
                guard let p50 = drain.kindP50[job.kind] else { continue }
                eta = max(eta ?? 0, p50 - job.ageSeconds)
            }
            return drain.jobs.isEmpty ? 0 : eta.map { max(0, $0) }
        case .oracle:
            return nil
        }
    }
}
