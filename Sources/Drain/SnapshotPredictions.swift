/// The predictions of one snapshot: what they need is copied under the pool's lock, they are computed
/// after it.
///
/// The copy is bounded: at most a ring of samples per kind, the listed jobs, and per kind one count per
/// start second of the jobs in flight. Sorting and the model's arithmetic then run without the lock, so
/// a snapshot never holds up the workers, however many jobs are in flight.
struct SnapshotPredictions: Sendable {
    /// A listed job: predicted on its own, with its exact age.
    struct Listed: Sendable {
        var kind: String
        var age: Double
        var bucket: Int64
    }

    /// A prior worth this many observations: three samples do not outweigh it, a few dozen do.
    static let priorWeight = 8.0
    /// How widely a kind nobody described is taken to vary: about ×4.5 either way.
    static let priorSigma = 1.5

    var samples: [String: [Double]]
    /// kind → runs cut short (by earlier drains, or cancelled): each lasted at least that long.
    var cut: [String: [Double]] = [:]
    var declared: [String: DeclaredDuration]
    var listed: [Listed]
    /// kind → start second → jobs in flight, listed ones included.
    var buckets: [String: [Int64: Int]]
    /// The pool clock's second now, as a fraction.
    var now: Double
    /// Seconds to the deadline while draining; nil while running.
    var timeLeft: Double?
    var defaultGrace: Double
    var priorMedian: Double

    /// The results, for ``WorkerPool/snapshot()`` to fill in.
    struct Result: Sendable {
        var jobs: [DrainForecast.Job]
        var sources: [String: PredictionSource]
        /// Against the deadline while draining, against the default grace while running.
        var forecast: DrainForecast
        /// The median time until the last job finishes, without a deadline.
        var etaUnbounded: Double?
        /// While running: the grace that drains everything in flight now with 90 % probability.
        var suggestedGrace: Double?
    }

    func compute() -> Result {
        let fallback = DurationDistribution(
            samples: [], prior: DurationPrior(median: priorMedian, sigma: Self.priorSigma, source: .prior),
            priorWeight: Self.priorWeight)
        // The listed jobs are predicted one by one; the rest by start second, aged from its middle.
        var rest = buckets
        for job in listed { rest[job.kind]?[job.bucket, default: 1] -= 1 }
        var others: [DrainForecast.Group] = []
        for (kind, seconds) in rest {
            for (second, count) in seconds where count > 0 {
                others.append(.init(kind: kind, age: max(0, now - (Double(second) + 0.5)), count: count))
            }
        }
        // Every job in flight is a run known to last at least its age, so far.
        var censored: [String: [(seconds: Double, count: Int)]] = [:]
        for job in listed { censored[job.kind, default: []].append((job.age, 1)) }
        for group in others { censored[group.kind, default: []].append((group.age, group.count)) }
        // So is every run a drain cut short: without them the history of a kind whose long runs are
        // usually cut would hold only its short ones.
        for (kind, seconds) in cut {
            censored[kind, default: []].append(contentsOf: seconds.map { (seconds: $0, count: 1) })
        }
        var distributions: [String: DurationDistribution] = [:]
        for kind in Set(samples.keys).union(declared.keys).union(buckets.keys) {
            let prior =
                declared[kind]?.prior ?? DurationPrior(median: priorMedian, sigma: Self.priorSigma, source: .prior)
            distributions[kind] = DurationDistribution(
                samples: samples[kind] ?? [], censored: censored[kind] ?? [], prior: prior,
                priorWeight: Self.priorWeight)
        }
        let forecast = DrainForecast(
            listed: listed.map { .init(kind: $0.kind, age: $0.age, count: 1) }, others: others,
            distributions: distributions, fallback: fallback, timeLeft: timeLeft ?? defaultGrace)
        // Past the deadline (or the planned grace) the same quantiles are looked for up to a day; within
        // it they are the ones already found.
        let unbounded = forecast.etaP50 ?? forecast.eta(quantile: 0.5, within: DrainForecast.horizon)
        let suggested =
            timeLeft == nil ? forecast.etaP90 ?? forecast.eta(quantile: 0.9, within: DrainForecast.horizon) : nil
        return Result(
            jobs: forecast.jobs, sources: distributions.mapValues(\.source), forecast: forecast,
            etaUnbounded: unbounded, suggestedGrace: suggested)
    }
}
