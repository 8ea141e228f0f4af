import DrainFleet
import DrainProtocol

/// Turns a ``FleetState`` into the lines of one screen: pure, like the other layouts.
///
/// Top to bottom: the header (source, workers per phase), column titles, one row per worker, the
/// totals and the shared queue, the hand-offs, the fleet's log, the footer.
package enum FleetLayout {
    package static func render(state: FleetState, size: ScreenSize, now: ContinuousClock.Instant) -> [ScreenLine] {
        guard size.isUsable else { return DashboardLayout.tooSmall(size) }
        let width = size.columns
        let workers = state.snapshot?.workers ?? []
        let free = max(6, size.rows - 6)
        let handoffRows = min(state.handoffs.count, max(1, free / 5))
        let workerRows = max(1, min(max(1, workers.count), free - handoffRows - max(3, free / 4)))
        let eventRows = max(0, free - workerRows - handoffRows - (handoffRows > 0 ? 1 : 0))
        let columns = Columns(width: width)

        var lines = [header(state), columns.titles()]
        let first = min(max(0, min(state.scroll, state.selected)), max(0, workers.count - workerRows))
        let start = state.selected >= first + workerRows ? state.selected - workerRows + 1 : first
        for index in start..<(start + workerRows) {
            guard workers.indices.contains(index) else {
                lines.append(
                    index == 0
                        ? ScreenLine("  " + (state.error ?? (state.snapshot == nil ? "reading…" : "no workers")), .dim)
                        : ScreenLine())
                continue
            }
            lines.append(columns.row(workers[index], state: state, selected: index == state.selected, now: now))
        }
        lines.append(columns.totals(state, rows: (start, workerRows)))
        if handoffRows > 0 {
            lines.append(DashboardLayout.rule("Hand-offs", width: width))
            let rescued = state.snapshot?.rescuedWorkers ?? []
            for handoff in state.handoffs.prefix(handoffRows) {
                lines.append(
                    ScreenLine(" " + FleetText.handoff(handoff, names: state.names, rescued: rescued), .warning))
            }
        }
        lines.append(DashboardLayout.rule("Fleet events", width: width))
        let shown = state.events.suffix(max(0, eventRows - 1))
        for event in shown {
            var line = ScreenLine(" " + TextFormat.clock(event.time) + "  ", .dim)
            line.append(event.text, event.style)
            lines.append(line)
        }
        while lines.count < size.rows - 1 { lines.append(ScreenLine()) }
        lines = Array(lines.prefix(size.rows - 1))
        lines.append(footer(state))
        return lines.map { $0.fitted(to: width) }
    }

    static func header(_ state: FleetState) -> ScreenLine {
        var line = ScreenLine(" drainctl top ", .inverse)
        line.append("  fleet  ", .bold)
        // The counts before the source: a long URL is what gets clipped, not the news.
        if let error = state.error { line.append(error + "  ", .danger) }
        if let snapshot = state.snapshot { line.append(FleetText.summary(snapshot) + "  ") }
        line.append(state.source, .dim)
        return line
    }

    static func footer(_ state: FleetState) -> ScreenLine {
        if state.showsHelp {
            return ScreenLine(
                " ↑↓ select · q quit · the fleet has no remote shutdown: drain a host with drainctl shutdown --all there",
                .info)
        }
        var line = ScreenLine()
        for (key, action) in [("q", "quit"), ("↑↓", "select"), ("?", "help")] {
            line.append(" ")
            line.append(key, .info)
            line.append(" \(action) ", .dim)
        }
        line.append(" refreshed every second from the workers table", .dim)
        return line
    }

    /// `drainctl: fleet 3 workers, 1 lost`
    package static func title(state: FleetState) -> String {
        let workers = state.snapshot?.workers ?? []
        let lost = workers.filter { if case .lost = $0.health { true } else { false } }.count
        return "drainctl: fleet \(workers.count) workers" + (lost > 0 ? ", \(lost) lost" : "")
    }
}
