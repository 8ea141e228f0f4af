import Foundation

/// A log-normal duration distribution: the prior a kind's few observations are blended with.
///
/// Log-normal because job durations are positive and right-skewed; the spread is wide on purpose, so a
/// prior that is wrong about a kind is soon outweighed by what the pool observes.
struct DurationPrior: Sendable, Hashable {
    /// The median duration, in seconds.
    var median: Double
    /// The standard deviation of the logarithm of the duration.
    var sigma: Double
    var source: PredictionSource

    /// The chance that a duration exceeds `seconds`.
    func survival(_ seconds: Double) -> Double {
        guard seconds > 0 else { return 1 }
        let z = (log(seconds) - log(median)) / sigma
        return 0.5 * erfc(z / 2.0.squareRoot())
    }
}
