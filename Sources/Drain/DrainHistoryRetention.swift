/// How much drain history a journal keeps: the newest ``maxDrains`` drains, none older than ``maxAge``.
///
/// A journal prunes when it records a drain, so the history never grows past the bound between two
/// drains and no background task is needed.
public struct DrainHistoryRetention: Sendable, Hashable {
    /// The most drains kept. Default 100: a deploy a day for three months, with room for retries.
    public var maxDrains: Int
    /// The oldest drain kept, by the time it stopped. Default 30 days.
    public var maxAge: Duration

    /// - Parameters:
    ///   - maxDrains: The most drains kept (at least 1).
    ///   - maxAge: The oldest drain kept.
    public init(maxDrains: Int = 100, maxAge: Duration = .seconds(30 * 24 * 3600)) {
        self.maxDrains = max(1, maxDrains)
        self.maxAge = maxAge
    }

    /// ``maxAge`` in seconds.
    package var maxAgeSeconds: Double {
        let parts = maxAge.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
