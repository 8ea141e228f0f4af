import DrainProtocol

extension DashboardLayout {
    /// ` demo   pid 4242   DRAINING   up 2m13s  started by SIGTERM`
    static func header(_ state: DashboardState, width: Int) -> ScreenLine {
        guard let target = state.target else {
            var line = ScreenLine(" drainctl top ", .inverse)
            line.append("  choose a process", .dim)
            return line
        }
        var line = ScreenLine(" \(state.snapshot?.name ?? target.name) ", .inverse)
        line.append("  pid \(state.snapshot?.pid ?? target.pid)  ")
        guard let snapshot = state.snapshot else {
            line.append(state.connection == .connecting ? "connecting…" : "no snapshot", .dim)
            return line
        }
        line.append(" \(phaseName(snapshot.phase)) ", phaseStyle(snapshot.phase))
        line.append("  up \(TextFormat.duration(snapshot.uptimeSeconds))")
        if !snapshot.ready, snapshot.phase == .lameDuck { line.append("  not ready", .info) }
        if let cause = snapshot.drainCause {
            line.append("  started by ", .dim)
            line.append(TextFormat.clip(cause.description, max(8, width - line.width - 1)), .bold)
        }
        return line
    }

    /// The deadline: grace, time left and a bar that empties, turning yellow then red.
    static func countdown(_ state: DashboardState, width: Int, now: ContinuousClock.Instant) -> ScreenLine {
        var line = label("Deadline")
        guard let snapshot = state.snapshot else { return line }
        switch snapshot.phase {
        case .running:
            line.append("none: not draining (s starts a shutdown)", .dim)
        case .stopped:
            line.append("none: stopped", .dim)
        case .forcing:
            line.append("passed: cancelling what is still in flight", .danger)
        case .lameDuck, .draining:
            guard let left = state.secondsLeft(at: now) else {
                line.append("lame duck: not ready, still working; the drain starts next", .info)
                return line
            }
            let grace = max(snapshot.graceSeconds ?? 0, 0.001)
            let fraction = max(0, left) / grace
            let style: Style = left <= 0 ? .danger : fraction > 0.5 ? .ok : fraction > 0.2 ? .warning : .danger
            line.append("grace \(TextFormat.duration(snapshot.graceSeconds ?? 0))  ")
            line.append(TextFormat.right(TextFormat.seconds(left), 6) + " left", style)
            line.append("  ")
            let bar = Gauge.bar(fraction, width: max(4, width - line.width - 1))
            line.append(bar.filled, style)
            line.append(bar.empty, .dim)
        }
        return line
    }

    /// Drain progress: finished of those in flight at the start, a bar, the ETA range and the jobs likely
    /// to miss; while running, what a drain started now would do (the planner).
    static func progress(_ state: DashboardState, width: Int, now: ContinuousClock.Instant) -> ScreenLine {
        var line = label("Drained")
        guard let snapshot = state.snapshot else { return line }
        guard let total = snapshot.inFlightAtDrainStart else {
            if let plan = snapshot.plan, snapshot.phase < .draining {
                line.append(TextFormat.clip(self.plan(plan), max(8, width - line.width - 1)), .dim)
            } else {
                line.append("not draining", .dim)
            }
            return line
        }
        if let report = snapshot.report, report.cancelled > 0 {
            // A forced drain: "8/8 drained" would hide that two of them were cut.
            let finished = max(0, report.inFlightAtDrainStart - report.cancelled)
            line.append("\(finished) finished", .bold)
            line.append(" · ", .dim)
            line.append("\(report.cancelled) cancelled", .danger)
            return line
        }
        let done = min(snapshot.drainedSinceStart ?? 0, total)
        line.append("\(done)/\(total)", .bold)
        line.append("  ")
        let bar = Gauge.bar(total == 0 ? 1 : Double(done) / Double(total), width: min(20, max(6, width / 5)))
        line.append(bar.filled, snapshot.phase == .forcing ? .danger : .ok)
        line.append(bar.empty, .dim)
        if snapshot.phase < .stopped {
            line.append("  ")
            let eta = eta(snapshot, elapsed: state.elapsedSinceSnapshot(at: now))
            line.append(eta.0, eta.1)
            line.append("  ")
            let misses = misses(snapshot, width: width - line.width - 1)
            line.append(misses.0, misses.1)
        }
        return line
    }

    /// Two rows of counters in four columns.
    static func counters(_ state: DashboardState, width: Int) -> [ScreenLine] {
        let cell = min(19, max(14, (width - 1) / 4))
        // Each cell: the name, the value right-aligned, then two spaces before the next cell.
        guard let s = state.snapshot else { return [ScreenLine(), ScreenLine()] }
        var inFlight = "\(s.inFlight)"
        if s.maxConcurrentJobs > 0 { inFlight += "/\(s.maxConcurrentJobs)" }
        let rows: [[(String, String, Style)]] = [
            [
                ("In flight", inFlight, .bold),
                // A shared journal that does not answer: its queue count is stale, say so instead.
                s.journalReachable == false
                    ? ("Queued", "db down", .danger) : ("Queued", TextFormat.count(s.queued), .bold),
                ("Completed", TextFormat.count(s.completed), .bold),
                ("Failed", TextFormat.count(s.failed), s.failed > 0 ? .danger : .bold),
            ],
            [
                ("Rejected", TextFormat.count(s.rejected), s.rejected > 0 ? .warning : .bold),
                ("Cancelled", TextFormat.count(s.cancelled), s.cancelled > 0 ? .warning : .bold),
                ("Requeued", TextFormat.count(s.requeued), s.requeued > 0 ? .warning : .bold),
                ("Recovered", TextFormat.count(s.recovered), .bold),
            ],
        ]
        return rows.map { cells in
            var line = ScreenLine(" ")
            for (name, value, style) in cells {
                let valueText = TextFormat.clip(value, cell - 3)
                line.append(TextFormat.left(name, cell - 2 - valueText.count), .dim)
                line.append(valueText, style)
                line.append("  ")
            }
            return line
        }
    }

    /// In flight over the last minute, one cell per second.
    static func sparkline(_ state: DashboardState, width: Int, now: ContinuousClock.Instant) -> ScreenLine {
        var line = label("In flight")
        guard let snapshot = state.snapshot else { return line }
        let end = min(now, state.endedAt ?? now)
        // A shared journal's jobs left under gone workers: work the fleet owes, said in the fleet view's words.
        let waiting = snapshot.waitingForRescue ?? 0
        let rescue = waiting > 0 ? "  \(TextFormat.count(waiting)) waiting for rescue" : ""
        let count = min(InFlightHistory.window, max(10, width - line.width - 9 - rescue.count))
        let values = state.history.values(endingAt: end, count: count)
        let peak = state.history.peak(endingAt: end, count: count)
        let ceiling = max(snapshot.maxConcurrentJobs, peak, 1)
        line.append(Gauge.sparkline(values, ceiling: ceiling), .info)
        line.append(" peak \(peak)", .dim)
        if !rescue.isEmpty { line.append(rescue, .danger) }
        return line
    }

    /// `Processes  ▸demo 4242  api 77   tab next · p list`, when there are several.
    static func processStrip(_ state: DashboardState, width: Int) -> ScreenLine {
        var line = label("Processes")
        for row in state.processes {
            let current = row.entry == state.target
            line.append(current ? "▸" : " ", .bold)
            line.append("\(row.entry.name) \(row.entry.pid)", current ? .bold : .plain)
            line.append(" ")
        }
        line.append(" tab next · p list", .dim)
        return line
    }
}
