import DrainProtocol

extension DashboardSummary {
    /// One line per process of the overview: its outcome, or what it was doing when `top` quit.
    package init(overview: OverviewState, now: ContinuousClock.Instant, signal: Int32? = nil) {
        self.init(lines: [], signal: signal)
        for row in overview.rows {
            let name = "\(row.entry.name) (pid \(row.entry.pid))"
            switch row.status {
            case .stopped(let s):
                lines.append(
                    "drainctl top: \(name) stopped \(s.outcome.rawValue) after draining "
                        + "\(TextFormat.fixed(s.drainSeconds, places: 2))s: \(s.completed) completed, "
                        + "\(s.cancelled) cancelled, \(s.requeued) requeued")
            case .lost(let reason):
                lines.append("drainctl top: lost the connection to \(name) before it reported stopping: \(reason)")
            case .connecting, .live:
                guard let s = row.snapshot else {
                    lines.append("drainctl top: \(name): no snapshot received")
                    continue
                }
                var line =
                    "drainctl top: \(name) was \(DashboardLayout.phaseName(s.phase)) when top quit: "
                    + "\(s.inFlight) in flight, \(s.queued) queued"
                if let total = s.inFlightAtDrainStart { line += ", \(s.drainedSinceStart ?? 0)/\(total) drained" }
                if let left = row.secondsLeft(at: now) { line += ", \(TextFormat.seconds(left)) left" }
                lines.append(line)
            }
        }
        if lines.isEmpty { lines = ["drainctl top: no process was watched"] }
    }
}
