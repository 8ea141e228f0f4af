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

    private struct Kind {
        var finished: [Double] = []  // log seconds
        var censored: [(log: Double, count: Double)] = []
        var sigma: Double = 0
    }

    /// - Parameters:
    ///   - finished: kind → finished runs, seconds.
    ///   - censored: kind → runs known to last at least `seconds` (in flight, or cut), `count` each.
    ///   - fallbackMedian: The configured pool-wide prior's median, seconds.
    ///   - fallbackSigma: Its spread (σ of the log).
    init(
        finished: [String: [Double]], censored: [String: [(seconds: Double, count: Int)]], fallbackMedian: Double,
        fallbackSigma: Double
    ) {
        var kinds: [String: Kind] = [:]
        for (kind, seconds) in finished {
            kinds[kind, default: Kind()].finished = seconds.compactMap { $0 > 0 && $0.isFinite ? log($0) : nil }
        }
        for (kind, runs) in censored {
            kinds[kind, default: Kind()].censored = CensoredRuns(runs).bins
        }
        // The spread within kinds, pooled over those with two runs or more.
        var squares = 0.0
        var freedom = 0.0
        var means: [Double] = []
        for kind in kinds.values where !kind.finished.isEmpty {
            let mean = kind.finished.reduce(0, +) / Double(kind.finished.count)
            means.append(mean)
            squares += kind.finished.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            freedom += Double(kind.finished.count - 1)
        }
        let within =
            freedom >= 2
            ? min(max((squares / freedom).squareRoot(), Self.sigmaRange.lowerBound), Self.sigmaRange.upperBound)
            : Self.defaultWithinSigma
        self.within = within
        // The kinds' centre and spread, the configured prior counting as one kind.
        let fallback = log(max(fallbackMedian, 1e-3))
        let center = (fallback + means.reduce(0, +)) / Double(means.count + 1)
        self.center = center
        let observed = means.reduce(0) { $0 + ($1 - center) * ($1 - center) }
        let spread = (observed + fallbackSigma * fallbackSigma) / Double(means.count + 1)
        between = min(max(spread.squareRoot(), Self.sigmaRange.lowerBound), Self.sigmaRange.upperBound)
        // Each kind's own spread, pulled towards the pooled one by spreadWeight runs' worth.
        for (name, kind) in kinds {
            let n = Double(kind.finished.count)
            let mean = n > 0 ? kind.finished.reduce(0, +) / n : 0
            let own = kind.finished.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let variance = (own + Self.spreadWeight * within * within) / (max(n - 1, 0) + Self.spreadWeight)
            kinds[name]?.sigma = min(max(variance.squareRoot(), Self.sigmaRange.lowerBound), Self.sigmaRange.upperBound)
        }
        self.kinds = kinds
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
        let precision = Double(data.finished.count) / (sigma * sigma) + 1 / (between * between)
        let mu = Self.mode(data, sigma: sigma, center: center, between: between)
        return DurationPrior(median: exp(mu), sigma: (sigma * sigma + 1 / precision).squareRoot(), source: .prior)
    }

    /// The most likely log-median given the kind's finished and censored runs and the pool's spread of
    /// kinds: where the derivative of the log-posterior, which falls as the median grows, crosses zero.
    private static func mode(_ kind: Kind, sigma: Double, center: Double, between: Double) -> Double {
        let n = Double(kind.finished.count)
        let total = kind.finished.reduce(0, +)
        func slope(_ mu: Double) -> Double {
            var sum = -(mu - center) / (between * between) + (total - n * mu) / (sigma * sigma)
            for run in kind.censored { sum += run.count * CensoredRuns.millsRatio((run.log - mu) / sigma) / sigma }
            return sum
        }
        var low = min(center, kind.finished.min() ?? center) - 20
        var high = max(center, kind.finished.max() ?? center, kind.censored.map(\.log).max() ?? center) + 20
        for _ in 0..<64 where high - low > 1e-6 {
            let middle = (low + high) / 2
            if slope(middle) > 0 { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

}
