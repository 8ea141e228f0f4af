import DrainProtocol

extension OverviewLayout {
    /// The overview's columns for one screen width: the name and the deadline bar take what is left.
    struct Columns {
        let width: Int
        let name: Int
        let bar: Int
        /// Completed, failed and requeued too, on wide screens.
        let wide: Bool

        static let pid = 7
        static let phase = 10
        static let inFlight = 10
        static let queued = 7
        static let seconds = 7
        static let drained = 8
        static let eta = 11
        static let misses = 5
        static let completed = 10
        static let failed = 7
        static let requeued = 9

        init(width: Int) {
            self.width = width
            wide = width >= OverviewLayout.wideColumns
            var fixed = 1 + Self.pid + 1 + Self.phase + Self.inFlight + Self.queued + 2 + Self.seconds
            fixed += Self.drained + Self.eta + Self.misses
            if wide { fixed += Self.completed + Self.failed + Self.requeued }
            let free = max(10, width - fixed)
            name = min(20, max(7, free / 2))
            bar = min(30, max(4, free - name))
        }

        /// The columns' titles.
        func titles() -> ScreenLine {
            var text = " " + TextFormat.left("NAME", name) + TextFormat.right("PID", Self.pid) + " "
            text += TextFormat.left("PHASE", Self.phase) + TextFormat.right("IN FLIGHT", Self.inFlight)
            text += TextFormat.right("QUEUED", Self.queued) + "  " + TextFormat.left("DEADLINE", bar + Self.seconds)
            text += TextFormat.right("DRAINED", Self.drained) + TextFormat.right("ETA", Self.eta)
            text += TextFormat.right("MISS", Self.misses)
            if wide {
                text += TextFormat.right("COMPLETED", Self.completed) + TextFormat.right("FAILED", Self.failed)
                text += TextFormat.right("REQUEUED", Self.requeued)
            }
            return ScreenLine(text, .dim)
        }

        /// One process: its phase in the single screen's colours, its work, its countdown and drain.
        func row(_ row: OverviewState.Row, selected: Bool, now: ContinuousClock.Instant) -> ScreenLine {
            var line = ScreenLine(selected ? "▸" : " ", .bold)
            line.append(TextFormat.left(row.entry.name, name), selected ? .inverse : .bold)
            line.append(TextFormat.right("\(row.snapshot?.pid ?? row.entry.pid)", Self.pid) + " ")
            let ended = row.status.hasEnded
            // What an ended process last reported is kept, dimmed: it is history, not the present.
            let countStyle: Style = ended ? .dim : .plain
            switch row.status {
            case .connecting:
                line.append(TextFormat.left("…", Self.phase), .dim)
            case .lost:
                line.append(TextFormat.left("LOST", Self.phase), .danger)
            case .stopped(let summary):
                line.append(TextFormat.left("STOPPED", Self.phase), summary.outcome == .clean ? .ok : .danger)
            case .live:
                let phase = row.snapshot?.phase ?? .running
                line.append(
                    TextFormat.left(DashboardLayout.phaseName(phase), Self.phase), DashboardLayout.phaseStyle(phase))
            }
            guard let s = row.snapshot else {
                if case .lost(let reason) = row.status {
                    line.append(TextFormat.right("", Self.inFlight + Self.queued) + "  ")
                    line.append(
                        TextFormat.clip("lost before its first snapshot: \(reason)", width - line.width), .danger)
                }
                return line
            }
            // A stopped process finished or gave up everything; its last snapshot may predate that.
            var inFlight = row.status.isStopped ? "0" : "\(s.inFlight)"
            if s.maxConcurrentJobs > 0, !wide || !ended { inFlight += "/\(s.maxConcurrentJobs)" }
            line.append(TextFormat.right(inFlight, Self.inFlight), ended ? .dim : .bold)
            line.append(TextFormat.right(TextFormat.count(s.queued), Self.queued), countStyle)
            line.append("  ")
            let drainColumns = bar + Self.seconds + Self.drained + Self.eta + Self.misses
            switch row.status {
            case .stopped(let summary):
                let text =
                    "\(summary.outcome.rawValue) in \(TextFormat.fixed(summary.drainSeconds, places: 2))s, "
                    + "\(summary.requeued) requeued"
                line.append(TextFormat.left(text, drainColumns), summary.outcome == .clean ? .ok : .danger)
            case .lost(let reason):
                let text = "lost: \(reason)"
                line.append(TextFormat.left(text, drainColumns), .danger)
            case .connecting, .live:
                line.append(deadline(row, s, now: now))
                line.append(drain(row, s, now: now))
            }
            if wide {
                line.append(TextFormat.right(TextFormat.count(s.completed), Self.completed), countStyle)
                line.append(
                    TextFormat.right(TextFormat.count(s.failed), Self.failed), s.failed > 0 ? .danger : countStyle)
                line.append(
                    TextFormat.right(TextFormat.count(s.requeued), Self.requeued),
                    s.requeued > 0 ? .warning : countStyle)
            }
            return line
        }

        /// The countdown as a small bar and the seconds left, `bar + seconds` columns wide.
        func deadline(_ row: OverviewState.Row, _ s: PoolSnapshot, now: ContinuousClock.Instant) -> ScreenLine {
            let cell = bar + Self.seconds
            switch s.phase {
            case .running: return ScreenLine(TextFormat.left("-", cell), .dim)
            case .stopped: return ScreenLine(TextFormat.left("stopped", cell), .dim)
            case .forcing: return ScreenLine(TextFormat.left("passed", cell), .danger)
            case .lameDuck, .draining:
                guard let left = row.secondsLeft(at: now) else {
                    return ScreenLine(TextFormat.left("lame duck", cell), .info)
                }
                return RowCells.countdown(left: left, grace: s.graceSeconds ?? 0, bar: bar, seconds: Self.seconds)
            }
        }

        /// Drained so far of those in flight at the start, the ETA (p50–p90) and the expected misses.
        func drain(_ row: OverviewState.Row, _ s: PoolSnapshot, now: ContinuousClock.Instant) -> ScreenLine {
            guard let total = s.inFlightAtDrainStart else {
                return RowCells.noDrain(drained: Self.drained, eta: Self.eta, misses: Self.misses)
            }
            var line = ScreenLine(
                TextFormat.right("\(min(total, s.drainedSinceStart ?? 0))/\(total)", Self.drained), .bold)
            let eta = row.eta(at: now)
            line.append(
                RowCells.eta(
                    p50: eta.p50, p90: eta.p90, single: eta.single, ranged: s.expectedMisses != nil, width: Self.eta))
            line.append(RowCells.misses(s.expectedMisses ?? s.predictedMisses.map(Double.init), width: Self.misses))
            return line
        }

        /// `TOTAL` under the rows, with the scroll position when not every row fits.
        func totals(_ t: OverviewTotals, shown first: Int, of rows: Int, state: OverviewState) -> ScreenLine {
            var line = ScreenLine(" " + TextFormat.left("TOTAL", name + Self.pid + 1), .bold)
            let count = state.rows.count
            line.append(
                TextFormat.left(count > rows ? "\(first + 1)–\(min(count, first + rows))/\(count)" : "", Self.phase),
                .dim)
            line.append(TextFormat.right("\(t.inFlight)", Self.inFlight), .bold)
            line.append(TextFormat.right(TextFormat.count(t.queued), Self.queued), .bold)
            line.append("  " + String(repeating: " ", count: bar + Self.seconds))
            if t.atDrainStart > 0 {
                line.append(TextFormat.right("\(t.drained)/\(t.atDrainStart)", Self.drained), .bold)
                line.append(String(repeating: " ", count: Self.eta))
                line.append(
                    TextFormat.right("\(t.predictedMisses)", Self.misses), t.predictedMisses > 0 ? .danger : .ok)
            } else {
                line.append(String(repeating: " ", count: Self.drained + Self.eta + Self.misses))
            }
            if wide {
                line.append(TextFormat.right(TextFormat.count(t.completed), Self.completed), .bold)
                line.append(TextFormat.right(TextFormat.count(t.failed), Self.failed), t.failed > 0 ? .danger : .bold)
                line.append(TextFormat.right(TextFormat.count(t.requeued), Self.requeued), .bold)
            }
            return line
        }
    }
}
