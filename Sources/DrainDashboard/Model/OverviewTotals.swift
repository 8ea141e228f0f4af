import DrainProtocol

/// The sums under the overview's rows: how many processes are in each state and the work they hold.
package struct OverviewTotals: Sendable, Hashable {
    package var processes = 0
    /// Processes per phase, counting only those still connected.
    package var byPhase: [DrainPhase: Int] = [:]
    package var stoppedClean = 0
    package var stoppedForced = 0
    package var lost = 0
    package var inFlight = 0
    package var queued = 0
    /// Drained so far and in flight at drain start, summed over the processes that are draining or ended
    /// a drain.
    package var drained = 0
    package var atDrainStart = 0
    package var predictedMisses = 0
    package var completed = 0
    package var failed = 0
    package var requeued = 0

    /// Sums `rows`; counts of ended processes are their last snapshot's.
    package init(_ rows: [OverviewState.Row]) {
        processes = rows.count
        for row in rows {
            switch row.status {
            case .stopped(let summary):
                if summary.outcome == .clean { stoppedClean += 1 } else { stoppedForced += 1 }
            case .lost: lost += 1
            case .connecting, .live:
                if let phase = row.snapshot?.phase { byPhase[phase, default: 0] += 1 }
            }
            guard let s = row.snapshot else { continue }
            completed += s.completed
            failed += s.failed
            requeued += s.requeued
            if let total = s.inFlightAtDrainStart {
                atDrainStart += total
                drained += min(total, s.drainedSinceStart ?? 0)
            }
            // A process that ended holds nothing in flight any more; its queued jobs stay in its journal.
            queued += s.queued
            guard !row.status.hasEnded else { continue }
            inFlight += s.inFlight
            predictedMisses += s.predictedMisses ?? 0
        }
    }
}
