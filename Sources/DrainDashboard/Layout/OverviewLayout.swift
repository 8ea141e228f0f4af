import DrainProtocol

/// Turns an ``OverviewState`` into the lines of one screen: pure, so every state is testable as text.
///
/// Top to bottom: a header with the counts per phase, the column titles, one row per process (scrolled
/// to keep the selected one in view), the totals, the merged event log, the footer.
package enum OverviewLayout {
    /// Columns at or above this width also show completed, failed and requeued.
    static let wideColumns = 120

    /// The rows of the screen, each exactly `size.columns` wide; `size.rows` of them.
    package static func render(state: OverviewState, size: ScreenSize, now: ContinuousClock.Instant) -> [ScreenLine] {
        guard size.isUsable else { return DashboardLayout.tooSmall(size) }
        let width = size.columns
        let plan = Plan(state: state, size: size)
        let columns = Columns(width: width)
        var lines = [header(state, width: width)]
        lines.append(columns.titles())
        let first = firstRow(state, rows: plan.processRows)
        for index in first..<(first + plan.processRows) {
            guard state.rows.indices.contains(index) else {
                lines.append(
                    index == 0 ? ScreenLine("  no process in the run directory yet", .dim) : ScreenLine())
                continue
            }
            lines.append(columns.row(state.rows[index], selected: index == state.selected, now: now))
        }
        lines.append(columns.totals(OverviewTotals(state.rows), shown: first, of: plan.processRows, state: state))
        lines.append(contentsOf: eventLog(state, width: width, rows: plan.eventRows))
        lines.append(footer(state, now: now))
        lines = lines.map { $0.fitted(to: width) }
        if state.mode == .help, let top = lines.indices.dropFirst(2).first {
            let box = helpBox()
            let column = max(0, (width - (box.map(\.width).max() ?? 0)) / 2)
            for (offset, line) in box.enumerated() where top + offset < lines.count - 1 {
                lines[top + offset] = lines[top + offset].overlaid(with: line, at: column)
            }
        }
        return lines
    }

    /// The first process row shown: the scroll position, moved just enough to show the selected row,
    /// and kept so the last page is full.
    package static func firstRow(_ state: OverviewState, rows: Int) -> Int {
        let count = state.rows.count
        var first = min(max(0, state.scroll), max(0, count - rows))
        if state.selected < first { first = state.selected }
        if state.selected >= first + rows { first = state.selected - rows + 1 }
        return max(0, first)
    }

    /// How many process rows fit, so the screen loop can keep the scroll position in range.
    package static func processRows(state: OverviewState, size: ScreenSize) -> Int {
        Plan(state: state, size: size).processRows
    }

    /// The terminal title: how many processes and how many of them drain.
    package static func title(state: OverviewState) -> String {
        let totals = OverviewTotals(state.rows)
        var title = "drainctl: \(totals.processes) processes"
        let draining = (totals.byPhase[.draining] ?? 0) + (totals.byPhase[.forcing] ?? 0)
        if draining > 0 { title += ", \(draining) draining" }
        if totals.lost > 0 { title += ", \(totals.lost) lost" }
        return title
    }

    /// Rows of the screen given to each part.
    struct Plan {
        var processRows: Int
        var eventRows: Int

        init(state: OverviewState, size: ScreenSize) {
            // Header, column titles, totals, event heading, footer.
            let free = max(4, size.rows - 5)
            // The processes first, as many as fit above a log of a quarter of the screen (four lines at
            // least): with many processes the rows scroll rather than crowd the log out.
            processRows = max(1, min(max(1, state.rows.count), free - max(4, free / 4)))
            eventRows = free - processRows
        }
    }

    /// ` drainctl top   3 processes  2 running  1 draining`
    static func header(_ state: OverviewState, width: Int) -> ScreenLine {
        let totals = OverviewTotals(state.rows)
        var line = ScreenLine(" drainctl top ", .inverse)
        line.append("  \(totals.processes) process\(totals.processes == 1 ? "" : "es")", .bold)
        for phase in [DrainPhase.running, .lameDuck, .draining, .forcing] {
            guard let count = totals.byPhase[phase], count > 0 else { continue }
            line.append("  \(count) ")
            line.append(DashboardLayout.phaseName(phase).lowercased(), DashboardLayout.phaseStyle(phase))
        }
        if totals.stoppedClean > 0 { line.append("  \(totals.stoppedClean) stopped clean", .ok) }
        if totals.stoppedForced > 0 { line.append("  \(totals.stoppedForced) stopped forced", .danger) }
        if totals.lost > 0 { line.append("  \(totals.lost) lost", .danger) }
        return line
    }

    /// The heading and the newest `rows` events of every process, oldest of them first.
    static func eventLog(_ state: OverviewState, width: Int, rows: Int) -> [ScreenLine] {
        var lines = [DashboardLayout.rule("Events of every process", width: width)]
        let shown = state.events.suffix(rows)
        let tagWidth = min(20, max(8, state.rows.map { "\($0.entry.name) \($0.entry.pid)".count }.max() ?? 8))
        for tagged in shown {
            var line = ScreenLine(" " + TextFormat.clock(tagged.event.time) + "  ", .dim)
            line.append(TextFormat.left("\(tagged.process.name) \(tagged.process.pid)", tagWidth) + "  ", .bold)
            line.append(
                TextFormat.clip(tagged.event.message, width - line.width), DashboardLayout.style(of: tagged.event))
            lines.append(line)
        }
        lines.append(contentsOf: Array(repeating: ScreenLine(), count: max(0, rows - shown.count)))
        return lines
    }

    /// The last row: a dialogue, a notice, or the keys.
    static func footer(_ state: OverviewState, now: ContinuousClock.Instant) -> ScreenLine {
        let name = state.selectedEntry.map { "\($0.name) (pid \($0.pid))" } ?? "the process"
        switch state.mode {
        case .askGrace(let text):
            var line = ScreenLine(" Shutdown \(name): grace in seconds (empty: its default)? ", .bold)
            line.append(text, .inverse)
            line.append("▏", .info)
            line.append("  Enter next · Esc cancel", .dim)
            return line
        case .confirm(let grace):
            let draining =
                state.rows.indices.contains(state.selected)
                && state.rows[state.selected].snapshot?.phase == .draining
            let question =
                draining
                ? "Move the deadline of \(name) to \(grace.map { "\(TextFormat.duration($0)) from now" } ?? "its default grace")?"
                : "Drain \(name) with \(grace.map { "a \(TextFormat.duration($0)) grace" } ?? "its default grace")?"
            var line = ScreenLine(" \(question) ", .bold)
            line.append("y", .inverse)
            line.append(" yes · ", .dim)
            line.append("n", .inverse)
            line.append(" no", .dim)
            return line
        case .normal, .help:
            break
        }
        if let notice = state.notice, now < notice.until { return ScreenLine(" " + notice.text, notice.style) }
        var line = ScreenLine()
        for (key, action) in [
            ("q", "quit"), ("↑↓", "select"), ("Enter", "open"), ("s", "shutdown"), ("?", "help"),
        ] {
            line.append(" ")
            line.append(key, .info)
            line.append(" \(action) ", .dim)
        }
        return line
    }

    static func helpBox() -> [ScreenLine] {
        let keys: [(String, String)] = [
            ("q", "quit (a summary per process stays on the screen)"),
            ("↑ ↓  j k", "select a process; PgUp PgDn Home End too"),
            ("Enter", "open the selected process's full screen; Esc comes back"),
            ("s", "drain the selected process: asks the grace, then confirms"),
            ("?", "this help; any key closes it"),
        ]
        return DashboardLayout.keysBox(keys)
    }
}
