import Foundation

/// Runs known to last at least some time (still in flight, or cut by a drain), binned by the logarithm
/// of that time, 5 % wide: what the fits that count them cost stays the same at 10 or 10,000 runs.
struct CensoredRuns: Sendable {
    /// log seconds (the mean of the bin) and how many runs.
    let bins: [(log: Double, count: Double)]

    /// How wide a bin is, in log seconds: ages within 5 % of each other are one.
    static let binWidth = 0.05

    init(_ runs: [(seconds: Double, count: Int)]) {
        var bins: [Int: (log: Double, count: Double)] = [:]
        for run in runs where run.seconds > 0 && run.seconds.isFinite && run.count > 0 {
            let value = log(run.seconds)
            let key = Int((value / Self.binWidth).rounded(.down))
            let count = Double(run.count)
            bins[key, default: (0, 0)].log += value * count
            bins[key, default: (0, 0)].count += count
        }
        self.bins = bins.values.map { ($0.log / $0.count, $0.count) }
    }

    var isEmpty: Bool { bins.isEmpty }

    /// φ(z) / Q(z) for a standard normal: how far past z a value known to exceed z lies on average
    /// (E[Z | Z > z] = λ(z)), and how hard such a run pushes a fitted median up.
    static func millsRatio(_ z: Double) -> Double {
        if z > 8 { return z + 1 / z - 2 / (z * z * z) }
        return exp(-z * z / 2) / (2 * Double.pi).squareRoot() / normalSurvival(z)
    }

    /// Q(z) = P(Z > z) for a standard normal.
    static func normalSurvival(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// log Q(z), finite however far out z lies.
    static func logNormalSurvival(_ z: Double) -> Double {
        if z > 8 { return -z * z / 2 - log(z * (2 * Double.pi).squareRoot()) + log(1 - 1 / (z * z)) }
        return log(normalSurvival(z))
    }
}
