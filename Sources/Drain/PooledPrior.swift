import Foundation

/// The priors of the kinds nobody described, learnt from every kind the pool has seen (empirical Bayes).
///
/// A fixed pool-wide prior (5 s, ×4.5 either way) is too pessimistic for short kinds and says nothing of
/// a long kind whose runs have not finished yet, which is a fresh journal's first minute. Here each kind's
/// log-durations are taken as normal around the kind's own log-median, and the kinds' log-medians as
/// normal around a pool-wide one: a kind with few runs is pulled towards the other kinds by as much as
/// its own runs leave uncertain. The runs still going (and the ones a drain cut) count as lasting at
/// least their age, so an export none of whose runs has finished, but three of which are 8 s old, is not
/// taken for a 1-second kind. The configured ``WorkerPoolConfiguration/priorJobDuration`` counts as one
/// more kind: with no runs anywhere it is the whole prior, as before.
///
/// Pure and bounded: per kind, a pass over its finished runs and its ``CensoredRuns`` bins, and a
/// bisection.
struct PooledPrior: Sendable {
    /// How widely a kind's runs vary (σ of the log) before any kind has two finished runs.
    static let defaultWithinSigma = 1.0
    /// How many runs' worth the pool-wide spread counts for, against a kind's own spread.
    static let spreadWeight = 4.0
    /// The range a kind's log-duration spread is kept in: from ×1.35 to ×7.4 either way (one σ).
    static let sigmaRange = 0.3...2.0

    /// The pool-wide log-median the kinds are pulled towards, and the spread of the kinds around it.
    let center: Double
    let between: Double
    /// The pooled spread of a kind's runs around its own median.
    let within: Double
    private let kinds: [String: Kind]

    /// What the fit needs of one kind: its finished runs' log-durations summed, and its censored runs.
    private struct Kind {
        var count = 0.0
        var sum = 0.0
        /// Σ (log x − mean)², the spread of its finished runs.
        var squares = 0.0
        var lowest = Double.infinity
        var highest = -Double.infinity
        var censored: [(log: Double, count: Double)] = []
        var sigma = 0.0

        var mean: Double { count > 0 ? sum / count : 0 }
    }

    /// - Parameters:
    ///   - finished: kind → finished runs, seconds.
    ///   - censored: kind → runs known to last at least some time (in flight, or cut).
    ///   - fallbackMedian: The configured pool-wide prior's median, seconds.
    ///   - fallbackSigma: Its spread (σ of the log).
    init(
        finished: [String: [Double]], censored: [String: CensoredRuns], fallbackMedian: Double, fallbackSigma: Double
    ) {
        var kinds: [String: Kind] = [:]
        for (name, seconds) in finished {
            let logs = seconds.compactMap { $0 > 0 && $0.isFinite ? log($0) : nil }
            var kind = Kind()
            kind.count = Double(logs.count)
            kind.sum = logs.reduce(0, +)
            kind.squares = logs.reduce(0) { [mean = kind.mean] in $0 + ($1 - mean) * ($1 - mean) }
            kind.lowest = logs.min() ?? .infinity
            kind.highest = logs.max() ?? -.infinity
            kinds[name] = kind
        }
        for (name, runs) in censored { kinds[name, default: Kind()].censored = runs.bins }
        let seen = kinds.values.filter { $0.count > 0 }
        // The spread within kinds, pooled over those with two runs or more.
        let freedom = seen.reduce(0) { $0 + $1.count - 1 }
        let within =
            freedom >= 2
            ? Self.clamped((seen.reduce(0) { $0 + $1.squares } / freedom).squareRoot()) : Self.defaultWithinSigma
        self.within = within
        // The kinds' centre and spread, the configured prior counting as one kind.
        let fallback = log(max(fallbackMedian, 1e-3))
        let center = (fallback + seen.reduce(0) { $0 + $1.mean }) / Double(seen.count + 1)
        self.center = center
        let observed = seen.reduce(0) { $0 + ($1.mean - center) * ($1.mean - center) }
        between = Self.clamped(((observed + fallbackSigma * fallbackSigma) / Double(seen.count + 1)).squareRoot())
        // Each kind's own spread, pulled towards the pooled one by spreadWeight runs' worth.
        for name in kinds.keys {
            guard let kind = kinds[name] else { continue }
            let variance =
                (kind.squares + Self.spreadWeight * within * within) / (max(kind.count - 1, 0) + Self.spreadWeight)
            kinds[name]?.sigma = Self.clamped(variance.squareRoot())
        }
        self.kinds = kinds
    }

    private static func clamped(_ sigma: Double) -> Double {
        min(max(sigma, sigmaRange.lowerBound), sigmaRange.upperBound)
    }

    /// The prior of a kind with no runs yet: the pool's centre, as wide as a kind varies plus how far
    /// the kinds lie apart.
    var unseen: DurationPrior {
        DurationPrior(median: exp(center), sigma: (within * within + between * between).squareRoot(), source: .prior)
    }

    /// The prior of `kind`: a log-normal around its log-median pulled towards the pool's, as wide as its
    /// runs vary plus what is still unknown of that median.
    func prior(for kind: String) -> DurationPrior {
        guard let data = kinds[kind] else { return unseen }
        let sigma = data.sigma
        let precision = data.count / (sigma * sigma) + 1 / (between * between)
        let mu = Self.mode(data, sigma: sigma, center: center, between: between)
        return DurationPrior(median: exp(mu), sigma: (sigma * sigma + 1 / precision).squareRoot(), source: .prior)
    }

    /// The most likely log-median given the kind's finished and censored runs and the pool's spread of
    /// kinds: where the derivative of the log-posterior, which falls as the median grows, crosses zero.
    private static func mode(_ kind: Kind, sigma: Double, center: Double, between: Double) -> Double {
        func slope(_ mu: Double) -> Double {
            var sum = -(mu - center) / (between * between) + (kind.sum - kind.count * mu) / (sigma * sigma)
            for run in kind.censored { sum += run.count * CensoredRuns.millsRatio((run.log - mu) / sigma) / sigma }
            return sum
        }
        var low = min(center, kind.lowest) - 20
        var high = max(center, kind.highest, kind.censored.map(\.log).max() ?? center) + 20
        for _ in 0..<64 where high - low > 1e-6 {
            let middle = (low + high) / 2
            if slope(middle) > 0 { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
