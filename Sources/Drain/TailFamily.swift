import Foundation

/// The shape of a kind's longest runs, chosen from its own finished runs by likelihood: a log-normal
/// tail falls off ever faster, a Pareto tail by a constant factor for each doubling.
///
/// Which one a kind has decides the long quantiles the planner plans on: a log-normal fitted to an
/// export's Pareto runs gives a 20 s-old export a 0.16 chance of running another 40 s where the truth is
/// 0.23. Both fits are maximum likelihood on the finished runs (two parameters each, so their
/// log-likelihoods compare directly).
enum TailFamily: Sendable, Hashable {
    case logNormal(mu: Double, sigma: Double)
    case pareto(minimum: Double, index: Double)

    /// Fewer finished runs than this leave the family undecided: the likelihoods of a dozen runs cannot
    /// tell a log-normal from a Pareto.
    static let minimumRuns = 30

    /// How many EM steps the censored log-normal fit takes from the uncensored one: each moves it less
    /// than the last, and a few settle it well within what a tail can be told from.
    static let fitSteps = 12

    /// The better fit to the finished runs `sorted` (ascending, seconds) and the runs known to last at
    /// least some time (`censored`); nil with fewer than ``minimumRuns`` positive finished durations, or
    /// when they do not vary.
    ///
    /// The censored runs count in both fits and both likelihoods (as `log S(age)`): a kind whose long
    /// runs are usually cut by drains would otherwise be fitted to its short ones, and get too light a
    /// tail.
    static func fit(_ sorted: [Double], censored: CensoredRuns = CensoredRuns([])) -> TailFamily? {
        let values = sorted.filter { $0 > 0 && $0.isFinite }
        guard values.count >= minimumRuns, let minimum = values.first, let maximum = values.last, maximum > minimum
        else { return nil }
        let n = Double(values.count)
        let logs = values.map { log($0) }
        let sumLogs = logs.reduce(0, +)
        let (mu, sigma) = logNormalFit(logs, censored: censored)
        var logNormal = -sumLogs - n * log(sigma) - n / 2 * log(2 * Double.pi)
        logNormal -= logs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / (2 * sigma * sigma)
        for run in censored.bins {
            logNormal += run.count * CensoredRuns.logNormalSurvival((run.log - mu) / sigma)
        }
        // The Pareto from the shortest finished run: index d / (Σ log(x / min) over every run, a censored
        // one at its age); log L = d log α + dα log min − (α + 1) Σ log x + Σ_censored α log(min / age).
        let logMinimum = log(minimum)
        var exposure = sumLogs - n * logMinimum
        for run in censored.bins where run.log > logMinimum { exposure += run.count * (run.log - logMinimum) }
        guard exposure > 0 else { return .logNormal(mu: mu, sigma: sigma) }
        let index = n / exposure
        let pareto =
            n * log(index) + n * index * logMinimum - (index + 1) * sumLogs - index
            * (exposure - (sumLogs - n * logMinimum))
        return pareto > logNormal ? .pareto(minimum: minimum, index: index) : .logNormal(mu: mu, sigma: sigma)
    }

    /// The log-normal's maximum-likelihood μ and σ with censored runs, by EM from the finished runs' own:
    /// a censored run counts as its expected log-duration given that it outlasted its age.
    private static func logNormalFit(_ logs: [Double], censored: CensoredRuns) -> (mu: Double, sigma: Double) {
        let n = Double(logs.count)
        var mu = logs.reduce(0, +) / n
        var sigma = max((logs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / n).squareRoot(), 1e-3)
        guard !censored.isEmpty else { return (mu, sigma) }
        let squares = logs.reduce(0) { $0 + $1 * $1 }
        let sum = logs.reduce(0, +)
        for _ in 0..<fitSteps {
            var total = n
            var first = sum
            var second = squares
            for run in censored.bins {
                let z = (run.log - mu) / sigma
                let lambda = CensoredRuns.millsRatio(z)
                let mean = mu + sigma * lambda
                let variance = sigma * sigma * max(0, 1 + z * lambda - lambda * lambda)
                total += run.count
                first += run.count * mean
                second += run.count * (variance + mean * mean)
            }
            mu = first / total
            sigma = max((second / total - mu * mu).squareRoot(), 1e-3)
        }
        return (mu, sigma)
    }

    /// The chance that a run lasts longer than `seconds`.
    func survival(_ seconds: Double) -> Double {
        guard seconds > 0 else { return 1 }
        switch self {
        case .logNormal(let mu, let sigma):
            return 0.5 * erfc((log(seconds) - mu) / (sigma * 2.0.squareRoot()))
        case .pareto(let minimum, let index):
            return seconds <= minimum ? 1 : pow(minimum / seconds, index)
        }
    }
}
