import Foundation

/// A duration distribution a kind's few observations are blended with: a log-normal body, and maybe a
/// Pareto tail spliced onto it.
///
/// Log-normal because job durations are positive and right-skewed. A kind whose slow runs are far slower
/// than a log-normal allows (an export whose p99 is thirty times its median) gets a Pareto tail from
/// `tail.start` on, continuous there, so the planner's long quantiles are not those of a light tail.
struct DurationPrior: Sendable, Hashable {
    /// Where the Pareto tail starts (seconds) and its index: `S(t) = S(start)·(start / t)^index`.
    struct Tail: Sendable, Hashable {
        var start: Double
        var index: Double
    }

    /// The median duration, in seconds.
    let median: Double
    /// The standard deviation of the logarithm of the duration.
    let sigma: Double
    let tail: Tail?
    let source: PredictionSource
    // Computed once: the curve is evaluated thousands of times per snapshot.
    private let logMedian: Double
    private let scale: Double
    private let tailLevel: Double

    init(median: Double, sigma: Double, tail: Tail? = nil, source: PredictionSource) {
        self.median = median
        self.sigma = sigma
        let tail = tail.flatMap { $0.start > 0 && $0.index > 0 && $0.start.isFinite ? $0 : nil }
        self.tail = tail
        self.source = source
        let logMedian = log(median)
        let scale = 1 / (sigma * 2.0.squareRoot())
        self.logMedian = logMedian
        self.scale = scale
        tailLevel = tail.map { 0.5 * erfc((log($0.start) - logMedian) * scale) } ?? 0
    }

    /// The chance that a duration exceeds `seconds`.
    func survival(_ seconds: Double) -> Double {
        guard seconds > 0 else { return 1 }
        if let tail, seconds > tail.start { return tailLevel * pow(tail.start / seconds, tail.index) }
        return 0.5 * erfc((log(seconds) - logMedian) * scale)
    }
}
