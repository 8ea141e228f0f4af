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

    /// The better fit to `sorted` (ascending, positive); nil with fewer than ``minimumRuns`` positive
    /// durations, or when they do not vary.
    static func fit(_ sorted: [Double]) -> TailFamily? {
        let values = sorted.filter { $0 > 0 && $0.isFinite }
        guard values.count >= minimumRuns, let minimum = values.first, let maximum = values.last, maximum > minimum
        else { return nil }
        let n = Double(values.count)
        let logs = values.map { log($0) }
        let sumLogs = logs.reduce(0, +)
        let mu = sumLogs / n
        let variance = logs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / n
        let sigma = max(variance.squareRoot(), 1e-3)
        // log L of the log-normal at its MLE: −Σ log x − n log σ − n/2 log 2π − n/2.
        let logNormal = -sumLogs - n * log(sigma) - n / 2 * log(2 * Double.pi) - n / 2
        // The Pareto from the shortest run: index n / Σ log(x / min);
        // log L = n log α + nα log min − (α + 1) Σ log x.
        let excess = sumLogs - n * log(minimum)
        guard excess > 0 else { return .logNormal(mu: mu, sigma: sigma) }
        let index = n / excess
        let pareto = n * log(index) + n * index * log(minimum) - (index + 1) * sumLogs
        return pareto > logNormal ? .pareto(minimum: minimum, index: index) : .logNormal(mu: mu, sigma: sigma)
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
