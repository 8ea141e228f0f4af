import Foundation

/// A log-normal duration distribution: the prior a kind's few observations are blended with.
///
/// Log-normal because job durations are positive and right-skewed; the spread is wide on purpose, so a
/// prior that is wrong about a kind is soon outweighed by what the pool observes.
struct DurationPrior: Sendable, Hashable {
    /// The median duration, in seconds.
    let median: Double
    /// The standard deviation of the logarithm of the duration.
    let sigma: Double
    let source: PredictionSource
    // Computed once: the curve is evaluated thousands of times per snapshot.
    private let logMedian: Double
    private let scale: Double

    init(median: Double, sigma: Double, source: PredictionSource) {
        self.median = median
        self.sigma = sigma
        self.source = source
        logMedian = log(median)
        scale = 1 / (sigma * 2.0.squareRoot())
    }

    /// The chance that a duration exceeds `seconds`.
    func survival(_ seconds: Double) -> Double {
        guard seconds > 0 else { return 1 }
        return 0.5 * erfc((log(seconds) - logMedian) * scale)
    }
}
