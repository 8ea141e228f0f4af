import Foundation

/// The predictions of one snapshot: what they need is copied under the pool's lock, they are computed
/// after it.
///
/// The copy is bounded: at most a ring of samples per kind, the listed jobs, and per kind one count per
/// start second of the jobs in flight. Sorting and the model's arithmetic then run without the lock, so
/// a snapshot never holds up the workers, however many jobs are in flight.
///
/// The model's arithmetic runs over the listed jobs one by one and over the rest in **age groups** (each
/// kind's curve still counts every start second as a run known to last at least its age): a
/// start second each while younger than ``exactAgeLimit``, then groups as wide as 1/``ageGroupsPerDoubling``
/// of a doubling of age, each aged at its jobs' mean age. So the cost of a forecast grows with the jobs
/// listed and with the kinds (at most ``maxGroupsPerKind`` groups each), not with the jobs in flight, and
/// no unlisted job older than ``exactAgeLimit`` is predicted from an age more than about 4.4 % off its own
/// (``maxAgeError``). ``exact`` turns the grouping off, for the tests that measure what it costs in
/// accuracy (documented in the DocC article "Predictions").
struct SnapshotPredictions: Sendable {
    /// A listed job: predicted on its own, with its exact age.
    struct Listed: Sendable {
        var kind: String
        var age: Double
        var bucket: Int64
    }

    /// A prior worth this many observations: three samples do not outweigh it, a few dozen do.
    static let priorWeight = 8.0
    /// How widely the configured pool-wide prior is taken to vary, about ×4.5 either way: the spread of
    /// kinds ``PooledPrior`` starts from before it has seen any.
    static let priorSigma = 1.5

    /// Unlisted jobs younger than this keep a group per start second.
    static let exactAgeLimit = 32.0
    /// Older ones are grouped this many groups per doubling of age.
    static let ageGroupsPerDoubling = 16.0
    /// How far (as a fraction of its age) a grouped job's age may lie from its group's mean age: a group
    /// spans a factor of 2^(1/16) ≈ 1.044.
    static let maxAgeError = pow(2, 1 / ageGroupsPerDoubling) - 1
    /// The most groups a kind's unlisted jobs make, up to ``DrainForecast/horizon``: 32 + 16·log2(86400/32).
    static let maxGroupsPerKind =
        Int(exactAgeLimit) + Int((ageGroupsPerDoubling * log2(DrainForecast.horizon / exactAgeLimit)).rounded(.up)) + 1

    /// How far the grouped forecast may lie from the per-start-second one, relative (or absolute below
    /// one): the expected misses, the ETA's quantiles, the suggested grace, the listed jobs' P(miss).
    /// Checked by `SnapshotTickTests` over two hours of starts; the grouping's own bound is ``maxAgeError``.
    static let forecastTolerance = 0.005

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
    /// Predict every start second on its own (the grouping off): what the grouped forecast is checked
    /// against.
    var exact = false

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

    /// The unlisted jobs of one kind by age group, youngest first: a start second each below
    /// ``exactAgeLimit`` (or when ``exact``), then geometric groups aged at their jobs' mean age.
    func groups(kind: String, _ seconds: [Int64: Int]) -> [DrainForecast.Group] {
        // group key → (jobs, the sum of their ages)
        var grouped: [Int: (count: Int, ageSum: Double)] = [:]
        for (second, count) in seconds where count > 0 {
            let age = max(0, now - (Double(second) + 0.5))
            let key: Int
            if exact || age < Self.exactAgeLimit {
                // Negative keys for the exact seconds, so they never meet a geometric group.
                key = -1 - Int(clamping: second)
            } else {
                key = Int(Self.ageGroupsPerDoubling * log2(age / Self.exactAgeLimit))
            }
            grouped[key, default: (0, 0)].count += count
            grouped[key, default: (0, 0)].ageSum += age * Double(count)
        }
        return grouped.values.map { .init(kind: kind, age: $0.ageSum / Double($0.count), count: $0.count) }
            .sorted { $0.age < $1.age }
    }

    func compute() -> Result {
        // The listed jobs are predicted one by one; the rest by start second, aged from its middle.
        // Counted per kind first, then taken from a copy of each kind's table: an optional-chained
        // `rest[kind]?[second] -= 1` per listed job cost three heap-allocated coroutine frames each.
        var listedBySecond: [String: [Int64: Int]] = [:]
        for job in listed { listedBySecond[job.kind, default: [:]][job.bucket, default: 0] += 1 }
        var rest: [String: [Int64: Int]] = [:]
        rest.reserveCapacity(buckets.count)
        for (kind, seconds) in buckets {
            guard let taken = listedBySecond[kind] else {
                rest[kind] = seconds
                continue
            }
            var left = seconds
            for (second, count) in taken { left[second] = (left[second] ?? count) - count }
            rest[kind] = left
        }
        var others: [DrainForecast.Group] = []
        for (kind, seconds) in rest { others += groups(kind: kind, seconds) }
        // Every job in flight is a run known to last at least its age, so far.
        var censored: [String: [(seconds: Double, count: Int)]] = [:]
        for job in listed { censored[job.kind, default: []].append((job.age, 1)) }
        // By start second, not by age group: each kind's curve is built once per snapshot (a sort of its
        // start seconds), while the groups are what the forecast evaluates at every step of its searches.
        for (kind, seconds) in rest {
            for (second, count) in seconds where count > 0 {
                censored[kind, default: []].append((max(0, now - (Double(second) + 0.5)), count))
            }
        }
        // So is every run a drain cut short: without them the history of a kind whose long runs are
        // usually cut would hold only its short ones.
        for (kind, seconds) in cut {
            censored[kind, default: []].append(contentsOf: seconds.map { (seconds: $0, count: 1) })
        }
        // Kinds nobody described lean on what the pool learnt of every kind, not on a fixed guess.
        // Binned once, for both the pooled prior and the kinds' tail fits.
        let bins = censored.mapValues(CensoredRuns.init)
        let pooled = PooledPrior(
            finished: samples, censored: bins, fallbackMedian: priorMedian, fallbackSigma: Self.priorSigma)
        let fallback = DurationDistribution(
            samples: [], prior: pooled.unseen, priorWeight: Self.priorWeight)
        var distributions: [String: DurationDistribution] = [:]
        for kind in Set(samples.keys).union(declared.keys).union(buckets.keys) {
            let prior = declared[kind]?.prior ?? pooled.prior(for: kind)
            distributions[kind] = DurationDistribution(
                samples: samples[kind] ?? [], censored: censored[kind] ?? [], censoredBins: bins[kind], prior: prior,
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
