import DrainFleet
import DrainProtocol

/// Turns a ``FleetState`` into the lines of one screen: pure, like the other layouts.
///
/// Top to bottom: the header (source, workers per phase), column titles, one row per worker, the
/// totals and the shared queue, the hand-offs, the fleet's log, the footer.
public enum FleetLayout {
    static let host = 14
    static let pid = 8
    static let phase = 10
    static let inFlight = 10
    static let seconds = 7
    static let drained = 8
    static let heartbeat = 10

    public static func render(state: FleetState, size: ScreenSize, now: ContinuousClock.Instant) -> [ScreenLine] {
        guard size.isUsable else { return DashboardLayout.tooSmall(size) }
        let width = size.columns
        let workers = state.snapshot?.workers ?? []
        let free = max(6, size.rows - 6)
        let handoffRows = min(state.handoffs.count, max(1, free / 5))
        let workerRows = max(1, min(max(1, workers.count), free - handoffRows - max(3, free / 4)))
        let eventRows = max(0, free - workerRows - handoffRows - (handoffRows > 0 ? 1 : 0))
        // Name and bar share what the fixed columns leave.
        let fixed = 1 + host + pid + 1 + phase + inFlight + 2 + seconds + drained + heartbeat
        let rest = max(12, width - fixed)
        let name = min(20, max(8, rest / 3))
        let bar = min(24, max(4, rest - name - 8))

        var lines = [header(state)]
        lines.append(
            ScreenLine(
                " " + TextFormat.left("HOST", host) + TextFormat.left("NAME", name) + TextFormat.right("PID", pid) + " "
                    + TextFormat.left("STATE", phase) + TextFormat.right("IN FLIGHT", inFlight) + "  "
                    + TextFormat.left("DEADLINE", bar + seconds) + TextFormat.right("DRAINED", drained)
                    + TextFormat.right("HEARTBEAT", heartbeat), .dim))
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
            lines.append(
                row(workers[index], state: state, selected: index == state.selected, name: name, bar: bar, now: now))
        }
        lines.append(totals(state, name: name, rows: (start, workerRows)))
        if handoffRows > 0 {
            lines.append(DashboardLayout.rule("Hand-offs", width: width))
            for handoff in state.handoffs.prefix(handoffRows) {
                lines.append(ScreenLine(" " + FleetText.handoff(handoff, names: state.names), .warning))
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

    static func row(
        _ worker: FleetWorker, state: FleetState, selected: Bool, name: Int, bar: Int, now: ContinuousClock.Instant
    ) -> ScreenLine {
        var line = ScreenLine(selected ? "▸" : " ", .bold)
        line.append(TextFormat.left(worker.host, host))
        line.append(TextFormat.left(worker.name, name), selected ? .inverse : .bold)
        line.append(TextFormat.right("\(worker.pid)", pid) + " ")
        let elapsed = state.elapsed(at: now)
        let silence = worker.silence + elapsed
        let health = worker.health
        switch health {
        case .alive:
            let phase = worker.phase ?? .running
            line.append(
                TextFormat.left(DashboardLayout.phaseName(phase), self.phase), DashboardLayout.phaseStyle(phase))
        case .stopped: line.append(TextFormat.left("STOPPED", phase), .bold)
        case .lost: line.append(TextFormat.left("LOST", phase), .danger)
        case .rescued: line.append(TextFormat.left("RESCUED", phase), .warning)
        }
        line.append(TextFormat.right("\(worker.inFlight)", inFlight), health == .alive ? .bold : .dim)
        line.append("  ")
        let cell = bar + seconds + drained
        switch health {
        case .lost(let rescueIn):
            let left = max(0, rescueIn - elapsed)
            let jobs = "\(worker.running) job\(worker.running == 1 ? "" : "s")"
            line.append(
                TextFormat.left(
                    left > 0 ? "\(jobs), rescue in \(TextFormat.seconds(left))" : "\(jobs), rescue due", cell),
                .danger)
        case .rescued:
            line.append(TextFormat.left(FleetText.detail(worker), cell), .warning)
        case .stopped:
            line.append(TextFormat.left("-", cell), .dim)
        case .alive:
            if let seconds = worker.secondsLeft {
                let left = seconds - elapsed
                let full = max(state.longestLeft[worker.id] ?? seconds, 0.001)
                let fraction = max(0, left) / full
                let style: Style =
                    left <= 0 ? .danger : fraction > 0.5 ? .ok : fraction > 0.2 ? .warning : .danger
                let gauge = Gauge.bar(fraction, width: bar)
                line.append(gauge.filled, style)
                line.append(gauge.empty, .dim)
                line.append(TextFormat.right(TextFormat.seconds(left), self.seconds), style)
            } else {
                line.append(TextFormat.left("-", bar + self.seconds), .dim)
            }
            line.append(TextFormat.right(worker.drained.map(String.init) ?? "-", drained), .bold)
        }
        let beat = TextFormat.seconds(silence) + " ago"
        line.append(TextFormat.right(beat, heartbeat), silence > worker.lease / 2 ? .danger : .dim)
        return line
    }

    static func totals(_ state: FleetState, name: Int, rows: (first: Int, count: Int)) -> ScreenLine {
        let workers = state.snapshot?.workers ?? []
        var line = ScreenLine(" " + TextFormat.left("TOTAL", host + name + pid + 1), .bold)
        let position =
            workers.count > rows.count
            ? "\(rows.first + 1)–\(min(workers.count, rows.first + rows.count))/\(workers.count)" : ""
        line.append(TextFormat.left(position, phase), .dim)
        let inFlight = workers.filter { $0.health == .alive }.map(\.inFlight).reduce(0, +)
        line.append(TextFormat.right("\(inFlight)", self.inFlight), .bold)
        line.append("  shared queue ", .dim)
        line.append(TextFormat.count(state.snapshot?.queued ?? 0), .bold)
        let waiting = workers.filter { if case .lost = $0.health { true } else { false } }.map(\.running).reduce(0, +)
        if waiting > 0 { line.append("  \(waiting) waiting for rescue", .danger) }
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
    public static func title(state: FleetState) -> String {
        let workers = state.snapshot?.workers ?? []
        let lost = workers.filter { if case .lost = $0.health { true } else { false } }.count
        return "drainctl: fleet \(workers.count) workers" + (lost > 0 ? ", \(lost) lost" : "")
    }
}
