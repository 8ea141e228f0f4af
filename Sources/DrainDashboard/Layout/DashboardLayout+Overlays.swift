import DrainClient
import DrainProtocol

extension DashboardLayout {
    /// The last row: a dialogue, a notice, or the keys.
    static func footer(_ state: DashboardState, width: Int, now: ContinuousClock.Instant) -> ScreenLine {
        let name = state.target.map { "\($0.name) (pid \($0.pid))" } ?? "the process"
        switch state.mode {
        case .askGrace(let text):
            let hint =
                state.graceOffered ? "the planner's, 90 % drained" : "empty: the service's default"
            var line = ScreenLine(" Shutdown: grace in seconds (\(hint))? ", .bold)
            line.append(text, .inverse)
            line.append("▏", .info)
            line.append("  Enter next · Esc cancel", .dim)
            return line
        case .confirm(let grace):
            let graceText = grace.map { "a \(TextFormat.duration($0)) grace" } ?? "the service's default grace"
            let question =
                state.phase == .draining
                ? "Move the deadline of \(name) to \(grace.map { "\(TextFormat.duration($0)) from now" } ?? "its default grace")?"
                : "Drain \(name) with \(graceText)?"
            var line = ScreenLine(" \(question) ", .bold)
            line.append("y", .inverse)
            line.append(" yes · ", .dim)
            line.append("n", .inverse)
            line.append(" no", .dim)
            return line
        case .normal, .help, .picker:
            break
        }
        if let notice = state.notice, now < notice.until {
            return ScreenLine(" " + notice.text, notice.style)
        }
        var line = ScreenLine()
        for (key, action) in [
            ("q", "quit"), ("s", "shutdown"), ("+/-", "deadline ±10s"), ("↑↓", "scroll"), ("tab", "next"),
            ("?", "help"),
        ] {
            line.append(" ")
            line.append(key, .info)
            line.append(" \(action) ", .dim)
        }
        return line
    }

    /// Banners, help and the process list, drawn over the jobs table.
    static func overlay(
        _ state: DashboardState, on lines: [ScreenLine], top: Int, now: ContinuousClock.Instant
    ) -> [ScreenLine] {
        var box: [ScreenLine]?
        switch state.mode {
        case .help: box = helpBox()
        case .picker(let row): box = pickerBox(state, selected: row)
        case .normal, .askGrace, .confirm: box = banner(state)
        }
        guard let box, let width = lines.first?.width else { return lines }
        var result = lines
        let boxWidth = box.map(\.width).max() ?? 0
        let column = max(0, (width - boxWidth) / 2)
        // Below the jobs heading when there is room, so the table's title stays readable.
        let first = top + (lines.count - 1 - top > box.count + 2 ? 2 : 0)
        for (offset, line) in box.enumerated() where first + offset < lines.count - 1 {
            result[first + offset] = result[first + offset].overlaid(with: line, at: column)
        }
        return result
    }

    /// The end of the connection, or a process that appeared: nil when there is nothing to announce.
    static func banner(_ state: DashboardState) -> [ScreenLine]? {
        let name = state.target.map { "\($0.name) (pid \($0.pid))" } ?? "the process"
        var title: String
        var titleStyle: Style
        var body: [String]
        switch state.connection {
        case .stopped(let summary):
            titleStyle = summary.outcome == .clean ? .okBanner : .dangerBanner
            title = summary.outcome == .clean ? "STOPPED CLEAN" : "STOPPED FORCED"
            body = [
                "\(name) drained in \(TextFormat.fixed(summary.drainSeconds, places: 2))s",
                "\(summary.completed) completed · \(summary.cancelled) cancelled · \(summary.requeued) requeued",
            ]
            if let predicted = summary.predictedMisses {
                // How the prediction made at the start of the drain did: the jobs it cut are the misses.
                body.append("predicted \(Int(predicted.rounded())), missed \(summary.cancelled)")
            }
            if let id = summary.historyID {
                // The journal kept the drain: its timeline is one command away.
                body.append("drainctl report \(id) for the timeline")
            }
        case .lost(let reason):
            titleStyle = .dangerBanner
            title = "CONNECTION LOST"
            body = ["\(name) went away without reporting that it stopped", TextFormat.clip(reason, 64)]
        case .choosing, .connecting, .live:
            guard let offer = state.offer else { return nil }
            titleStyle = .okBanner
            title = "NEW PROCESS"
            body = ["\(offer.name) (pid \(offer.pid)) appeared in the run directory"]
        }
        if let offer = state.offer {
            body.append("a: attach to \(offer.name) (pid \(offer.pid)) · Esc: dismiss · q: quit")
        } else if state.connection.hasEnded {
            body.append("the last frame is kept · q: quit")
        }
        return box(
            title: title, titleStyle: titleStyle, body: body.map { ScreenLine($0) },
            border: titleStyle == .okBanner ? .ok : .danger)
    }

    static func helpBox() -> [ScreenLine] {
        let keys: [(String, String)] = [
            ("q", "quit (the summary stays on the screen)"),
            ("s", "start a shutdown: asks the grace, then confirms"),
            ("+ / -", "move the deadline 10s later / earlier while draining"),
            ("↑ ↓  j k", "scroll the jobs; PgUp PgDn Home End too"),
            ("tab", "watch the next process in the run directory"),
            ("p", "the process list"),
            ("a", "attach to a process that just appeared"),
            ("?", "this help; any key closes it"),
        ]
        return keysBox(keys)
    }

    /// The help overlay of any screen: one key and what it does per line.
    static func keysBox(_ keys: [(String, String)]) -> [ScreenLine] {
        let body = keys.map { key, text -> ScreenLine in
            var line = ScreenLine(TextFormat.left(key, 10), .info)
            line.append(text)
            return line
        }
        return box(title: "KEYS", titleStyle: .inverse, body: body, border: .info)
    }

    static func pickerBox(_ state: DashboardState, selected: Int) -> [ScreenLine] {
        var body: [ScreenLine] = []
        for (index, row) in state.processes.enumerated() {
            var text = (index == selected ? "▸" : " ") + (row.entry == state.target ? "* " : "  ")
            text += TextFormat.left(row.entry.name, 14) + TextFormat.right("\(row.entry.pid)", 8) + "  "
            if let phase = row.phase {
                text += TextFormat.left(phaseName(phase), 10)
                text += " \(row.inFlight ?? 0) in flight, \(row.queued ?? 0) queued"
            } else {
                text += row.responded == false ? "no answer" : "…"
            }
            body.append(ScreenLine(TextFormat.left(text, 64), index == selected ? .inverse : .plain))
        }
        if body.isEmpty { body.append(ScreenLine("no process in the run directory", .dim)) }
        body.append(ScreenLine("* watching · ↑↓ choose · Enter watch · Esc close · q quit", .dim))
        return box(title: "PROCESSES", titleStyle: .inverse, body: body, border: .info)
    }

    /// A framed box: `┌ TITLE ──┐`, the body lines, `└──┘`; at most 72 columns wide.
    static func box(title: String, titleStyle: Style, body: [ScreenLine], border: Style) -> [ScreenLine] {
        let inner = min(70, max(title.count + 4, body.map(\.width).max() ?? 0) + 2)
        var top = ScreenLine("┌─", border)
        top.append(" \(title) ", titleStyle)
        top.append(String(repeating: "─", count: max(0, inner - title.count - 3)) + "┐", border)
        var lines = [top]
        for content in body {
            var line = ScreenLine("│ ", border)
            line.append(content.fitted(to: inner - 2))
            line.append(" │", border)
            lines.append(line)
        }
        lines.append(ScreenLine("└" + String(repeating: "─", count: inner) + "┘", border))
        return lines
    }
}
