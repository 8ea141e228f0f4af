import Foundation

/// What an application said of a kind's durations when it registered it: the median, and maybe the 90th
/// and 99th percentiles, which set how wide the kind's prior is and how long its tail.
struct DeclaredDuration: Sendable, Hashable {
    /// How widely a declared median is taken to vary without a declared p90 (log-normal σ): its p90 is
    /// then about 2.6 times the median.
    static let defaultSigma = 0.75
    /// The standard normal's 90th and 99th percentiles: a log-normal's p90 is its median times e^(σ·z90).
    static let z90 = 1.2815515655446004
    static let z99 = 2.3263478740408408

    /// Seconds.
    let median: Double
    /// Seconds; nil when none was declared, or one not above the median was.
    let p90: Double?
    /// Seconds; nil when none was declared, or one not above the p90 (or the median) was.
    let p99: Double?

    /// nil without a usable median (missing, zero, negative or not finite).
    init?(median: Duration?, p90: Duration?, p99: Duration? = nil) {
        guard let seconds = median?.seconds, seconds > 0, seconds.isFinite else { return nil }
        self.median = seconds
        let p90 = p90.map(\.seconds).flatMap { $0 > seconds && $0.isFinite ? $0 : nil }
        self.p90 = p90
        self.p99 = p99.map(\.seconds).flatMap { $0 > (p90 ?? seconds) && $0.isFinite ? $0 : nil }
    }

    /// The log-normal through the median and the p90 (else through the median and the p99); σ at most 3,
    /// a tail already wider than any prior. With all three declared, the p99 sets a Pareto tail from the
    /// p90 on, through it: a kind whose p99 lies far past the log-normal's keeps that heavy tail.
    var prior: DurationPrior {
        let sigma: Double
        var tail: DurationPrior.Tail?
        switch (p90, p99) {
        case (let p90?, let p99?):
            sigma = min(3, log(p90 / median) / Self.z90)
            // S(p90) = 0.1 and S(p99) = 0.01: the index that falls a decade between them.
            tail = .init(start: p90, index: log(10) / log(p99 / p90))
        case (let p90?, nil):
            sigma = min(3, log(p90 / median) / Self.z90)
        case (nil, let p99?):
            sigma = min(3, log(p99 / median) / Self.z99)
        case (nil, nil):
            sigma = Self.defaultSigma
        }
        return DurationPrior(median: median, sigma: sigma, tail: tail, source: .declared)
    }
}
