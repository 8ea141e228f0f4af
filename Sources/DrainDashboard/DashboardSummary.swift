import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `top` leaves on the normal screen after it quits, since the alternate screen is wiped.
public struct DashboardSummary: Sendable, Hashable {
    /// Lines to print, without newlines.
    public var lines: [String]
    /// The signal that ended the dashboard (SIGINT, SIGTERM, SIGHUP), or nil after `q`.
    public var signal: Int32?

    public init(lines: [String], signal: Int32? = nil) {
        self.lines = lines
        self.signal = signal
    }

    /// 0 after `q`; 128 + the signal number after a signal, as a shell reports it.
    public var exitCode: Int32 { signal.map { 128 + $0 } ?? 0 }

    /// The summary of what was last seen.
    package init(state: DashboardState, now: ContinuousClock.Instant, signal: Int32? = nil) {
        self.signal = signal
        guard let target = state.target else {
            lines = ["drainctl top: no process was watched"]
            return
        }
        let name = "\(target.name) (pid \(target.pid))"
        switch state.connection {
        case .stopped(let summary):
            lines = [
                "drainctl top: \(name) stopped \(summary.outcome.rawValue) after draining \(TextFormat.fixed(summary.drainSeconds, places: 2))s: "
                    + "\(summary.completed) completed, \(summary.cancelled) cancelled, \(summary.requeued) requeued"
            ]
            if let id = summary.historyID { lines.append("drainctl top: drainctl report \(id) for the timeline") }
        case .lost(let reason):
            lines = ["drainctl top: lost the connection to \(name) before it reported stopping: \(reason)"]
        case .choosing, .connecting, .live:
            guard let s = state.snapshot else {
                lines = ["drainctl top: \(name): no snapshot received"]
                return
            }
            var line =
                "drainctl top: \(name) was \(DashboardLayout.phaseName(s.phase)) when top quit: \(s.inFlight) in flight, \(s.queued) queued"
            if let total = s.inFlightAtDrainStart { line += ", \(s.drainedSinceStart ?? 0)/\(total) drained" }
            if let left = state.secondsLeft(at: now) { line += ", \(TextFormat.seconds(left)) left" }
            lines = [line]
        }
        if let offer = state.offer {
            lines.append("drainctl top: \(offer.name) (pid \(offer.pid)) is running in the run directory")
        }
    }
}
