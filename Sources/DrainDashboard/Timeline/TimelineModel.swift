import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One drain as both pictures draw it (the terminal's lanes and the SVG): times in seconds from the drain's
/// start, the lanes oldest first, and the span of time the picture covers.
package struct TimelineModel: Sendable {
    package struct Lane: Sendable {
        package var label: String
        package var start: Double
        /// nil: still running when the timeline was taken.
        package var end: Double?
        package var fate: DrainTimeline.Fate?
        package var pMiss: Double?

        /// Cancelled by forcing or abandoned: the drain cut it.
        package var wasCut: Bool { fate == .cancelled || fate == .abandoned }
    }

    package var entry: DrainHistoryEntry
    package var lanes: [Lane]
    package var lanesOmitted: Int
    /// The deadlines in force, in seconds from the drain's start: the drain's own first, then each move.
    package var deadlines: [Double]
    package var forced: Double?
    package var stopped: Double
    /// The forecast ETA range, from the drain's start; `p90` nil means past the deadline.
    package var forecastP50: Double?
    package var forecastP90: Double?
    package var forecastGiven: Bool
    /// The span drawn, in seconds from the drain's start: `from` ≤ 0 < `to`.
    package var from: Double
    package var to: Double

    package init(_ entry: DrainHistoryEntry) {
        self.entry = entry
        let report = entry.report
        let timeline = report.timeline
        let origin =
            timeline?.drainStartedAt ?? report.drainStartedAt
            ?? report.stoppedAt.addingTimeInterval(-report.drainSeconds)
        func seconds(_ date: Date) -> Double { date.timeIntervalSince(origin) }
        let sorted = (timeline?.lanes ?? []).sorted {
            ($0.startedAt, $0.id ?? .max) < ($1.startedAt, $1.id ?? .max)
        }
        lanes = sorted.map { lane in
            Lane(
                label: lane.id.map { "#\($0) \(lane.kind)" } ?? lane.kind, start: seconds(lane.startedAt),
                end: lane.endedAt.map(seconds), fate: lane.fate, pMiss: lane.pMissAtStart)
        }
        lanesOmitted = timeline?.lanesOmitted ?? 0
        deadlines = timeline?.deadlines.map { seconds($0.deadline) } ?? report.graceSeconds.map { [$0] } ?? []
        forced = timeline?.forcedAt.map(seconds)
        stopped = seconds(report.stoppedAt)
        forecastP50 = timeline?.forecast?.etaP50Seconds
        forecastP90 = timeline?.forecast?.etaP90Seconds
        forecastGiven = timeline?.forecast != nil
        let lameDuck = timeline?.lameDuckStartedAt.map(seconds) ?? 0
        from = min(0, lameDuck, lanes.map(\.start).min() ?? 0)
        var last = max(stopped, deadlines.max() ?? 0, lanes.compactMap(\.end).max() ?? 0, forced ?? 0)
        // The forecast range widens the picture only so far: an ETA far past the stop would squash the lanes.
        if let p90 = forecastP90 { last = max(last, min(p90, last * 1.5)) }
        if let p50 = forecastP50 { last = max(last, min(p50, last * 1.5)) }
        to = max(last, from + 0.001)
    }

    /// Lanes the drain cut (cancelled or abandoned); the report's own count when it kept no timeline.
    package var cut: Int {
        entry.report.timeline == nil ? entry.report.jobs.count : lanes.filter(\.wasCut).count
    }

    /// `0…1` across the span.
    package func fraction(_ seconds: Double) -> Double {
        min(1, max(0, (seconds - from) / (to - from)))
    }
}
