import Foundation

/// What an application said of a kind's durations when it registered it: the median, and maybe the 90th
/// percentile, which sets how wide the kind's prior is.
struct DeclaredDuration: Sendable, Hashable {
    /// How widely a declared median is taken to vary without a declared p90 (log-normal σ): its p90 is
    /// then about 2.6 times the median.
    static let defaultSigma = 0.75
    /// The standard normal's 90th percentile: a log-normal's p90 is its median times e^(σ·z90).
    static let z90 = 1.2815515655446004

    /// Seconds.
    let median: Double
    /// Seconds; nil when none was declared, or one not above the median was.
    let p90: Double?

    /// nil without a usable median (missing, zero, negative or not finite).
    init?(median: Duration?, p90: Duration?) {
        guard let seconds = median?.seconds, seconds > 0, seconds.isFinite else { return nil }
        self.median = seconds
        self.p90 = p90.map(\.seconds).flatMap { $0 > seconds && $0.isFinite ? $0 : nil }
    }

    /// The log-normal through the median and the p90; σ at most 3, a tail already wider than any prior.
    var prior: DurationPrior {
        let sigma = p90.map { min(3, log($0 / median) / Self.z90) } ?? Self.defaultSigma
        return DurationPrior(median: median, sigma: sigma, source: .declared)
    }
}
