/// In-flight counts over the last minute, one value per second, kept client-side from snapshots.
///
/// A second keeps the highest count seen in it, so a short burst between two snapshots is not lost
/// to sampling.
package struct InFlightHistory: Sendable {
    /// How many seconds are kept.
    package static let window = 60

    private var origin: ContinuousClock.Instant?
    private var peaks: [Int: Int] = [:]

    package init() {}

    /// Records `value` as seen at `instant`.
    package mutating func record(_ value: Int, at instant: ContinuousClock.Instant) {
        let origin = self.origin ?? instant
        self.origin = origin
        let second = Self.second(of: instant, from: origin)
        peaks[second] = max(peaks[second] ?? 0, value)
        // Pruning only when the dictionary doubles keeps recording O(1) amortised.
        if peaks.count > 2 * Self.window {
            peaks = peaks.filter { $0.key > second - Self.window }
        }
    }

    /// The last `count` seconds up to `now`, oldest first; nil for seconds without a snapshot.
    package func values(endingAt now: ContinuousClock.Instant, count: Int) -> [Int?] {
        guard count > 0 else { return [] }
        guard let origin else { return Array(repeating: nil, count: count) }
        let last = Self.second(of: now, from: origin)
        return ((last - count + 1)...last).map { peaks[$0] }
    }

    /// The highest value in the last `count` seconds.
    package func peak(endingAt now: ContinuousClock.Instant, count: Int) -> Int {
        values(endingAt: now, count: count).compactMap { $0 }.max() ?? 0
    }

    private static func second(of instant: ContinuousClock.Instant, from origin: ContinuousClock.Instant) -> Int {
        Int(((instant - origin) / .seconds(1)).rounded(.down))
    }
}
