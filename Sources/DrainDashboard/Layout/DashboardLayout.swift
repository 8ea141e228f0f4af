import DrainProtocol

/// Turns a ``DashboardState`` into the lines of one screen: pure, so every state is testable as text.
///
/// The screen, top to bottom: header, deadline, drain progress, counters, sparkline, (processes), jobs,
/// events, footer. Jobs and events share the rows left over; overlays (banner, help, process list) are
/// drawn over the jobs.
package enum DashboardLayout {
    /// The width of the label column ("Deadline", "Drained", …).
    static let labelWidth = 11

    /// The rows of the screen, each exactly `size.columns` wide; `size.rows` of them.
    /// - Parameters:
    ///   - state: What to show.
    ///   - size: The terminal's size now (it may have just changed).
    ///   - now: The monotonic time of this frame; countdowns and ages move with it.
    package static func render(state: DashboardState, size: ScreenSize, now: ContinuousClock.Instant) -> [ScreenLine] {
        guard size.isUsable else { return tooSmall(size) }
        let width = size.columns
        let plan = Plan(state: state, size: size)
        var lines: [ScreenLine] = [header(state, width: width)]
        lines.append(countdown(state, width: width, now: now))
        lines.append(progress(state, width: width, now: now))
        lines.append(contentsOf: counters(state, width: width))
        lines.append(sparkline(state, width: width, now: now))
        if plan.showsProcesses { lines.append(processStrip(state, width: width)) }
        let jobsTop = lines.count
        lines.append(contentsOf: jobs(state, width: width, rows: plan.jobRows, now: now))
        lines.append(contentsOf: eventLog(state, width: width, rows: plan.eventRows))
        lines.append(footer(state, width: width, now: now))
        lines = lines.map { $0.fitted(to: width) }
        lines = overlay(state, on: lines, top: jobsTop, now: now)
        return lines
    }

    /// How many job rows fit, so the scroll position can be kept in range.
    package static func jobRows(state: DashboardState, size: ScreenSize) -> Int {
        Plan(state: state, size: size).jobRows
    }

    /// The terminal title: the process, its phase and the time left.
    package static func title(state: DashboardState, now: ContinuousClock.Instant) -> String {
        guard let target = state.target else { return "drainctl top" }
        var title = "drainctl: \(target.name)"
        switch state.connection {
        case .stopped(let summary): return title + " stopped \(summary.outcome.rawValue)"
        case .lost: return title + " connection lost"
        case .choosing, .connecting, .live: break
        }
        guard let phase = state.phase else { return title }
        title += " " + phaseName(phase)
        if let left = state.secondsLeft(at: now), phase == .draining || phase == .lameDuck {
            title += " \(Int(max(0, left).rounded(.up)))s left"
        }
        return title
    }

    /// Rows of the screen given to each part.
    struct Plan {
        var showsProcesses: Bool
        var jobRows: Int
        var eventRows: Int

        init(state: DashboardState, size: ScreenSize) {
            showsProcesses = state.processes.count > 1
            // Header, deadline, progress, two counter rows, sparkline, two job headings, event heading, footer.
            let fixed = 10 + (showsProcesses ? 1 : 0)
            let free = max(2, size.rows - fixed)
            eventRows = min(12, max(2, free * 2 / 5))
            jobRows = max(1, free - eventRows)
        }
    }

    static func phaseName(_ phase: DrainPhase) -> String {
        phase == .lameDuck ? "LAME DUCK" : phase.rawValue.uppercased()
    }

    static func phaseStyle(_ phase: DrainPhase) -> Style {
        switch phase {
        case .running: .ok
        case .lameDuck: .info
        case .draining: .warning
        case .forcing: .danger
        case .stopped: .bold
        }
    }

    /// `─ Title ────…` across the width, with `right` near the end.
    static func rule(_ title: String, width: Int, right: String = "") -> ScreenLine {
        var line = ScreenLine("─ ", .dim)
        line.append(title, .heading)
        line.append(" ", .dim)
        let tail = right.isEmpty ? "" : " \(right) ─"
        line.append(String(repeating: "─", count: max(0, width - line.width - tail.count)), .dim)
        line.append(tail, .dim)
        return line
    }

    /// A label padded to the label column.
    static func label(_ text: String) -> ScreenLine {
        ScreenLine(" " + TextFormat.left(text, labelWidth - 1), .bold)
    }

    static func tooSmall(_ size: ScreenSize) -> [ScreenLine] {
        let message = [
            ("Terminal too small", Style.warning),
            ("\(size) here, \(ScreenSize.minimum) needed", Style.plain),
            ("enlarge it, or q to quit", Style.dim),
        ]
        let top = max(0, (size.rows - message.count) / 2)
        return (0..<max(0, size.rows)).map { row in
            let index = row - top
            guard message.indices.contains(index) else { return ScreenLine().fitted(to: max(0, size.columns)) }
            let (text, style) = message[index]
            let clipped = TextFormat.clip(text, max(0, size.columns))
            var line = ScreenLine(String(repeating: " ", count: max(0, (size.columns - clipped.count) / 2)))
            line.append(clipped, style)
            return line.fitted(to: max(0, size.columns))
        }
    }
}
