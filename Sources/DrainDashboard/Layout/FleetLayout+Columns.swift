import DrainFleet
import DrainProtocol

extension FleetLayout {
    /// The fleet's columns for one screen width: a host row's columns (see ``OverviewLayout``) with the
    /// host in front and the heartbeat behind. Below ``wideColumns`` the pid and the heartbeat give way,
    /// so that the drain (countdown, drained, ETA, misses) fits 80 columns.
    struct Columns {
        let width: Int
        let host: Int
        let name: Int
        let bar: Int
        let wide: Bool

        static let wideColumns = 110
        static let pid = 8
        static let phase = 10
        static let inFlight = 10
        static let seconds = 7
        static let drained = 8
        static let eta = 11
        static let misses = 5
        static let heartbeat = 10

        init(width: Int) {
            self.width = width
            wide = width >= Self.wideColumns
            host = wide ? 14 : 10
            var fixed = 1 + host + 1 + Self.phase + Self.inFlight + 2 + Self.seconds + Self.drained
            fixed += Self.eta + Self.misses
            if wide { fixed += Self.pid + Self.heartbeat }
            let rest = max(12, width - fixed)
            name = min(20, max(8, rest / 3))
            bar = min(24, max(4, rest - name))
        }

        func titles() -> ScreenLine {
            var text = " " + TextFormat.left("HOST", host) + TextFormat.left("NAME", name)
            if wide { text += TextFormat.right("PID", Self.pid) }
            text += " " + TextFormat.left("STATE", Self.phase) + TextFormat.right("IN FLIGHT", Self.inFlight) + "  "
            text += TextFormat.left("DEADLINE", bar + Self.seconds) + TextFormat.right("DRAINED", Self.drained)
            text += TextFormat.right("ETA", Self.eta) + TextFormat.right("MISS", Self.misses)
            if wide { text += TextFormat.right("HEARTBEAT", Self.heartbeat) }
            return ScreenLine(text, .dim)
        }

        /// One worker: its state, its work, and its drain as its own screen shows it, moved on by the
        /// time since the read.
        func row(_ worker: FleetWorker, state: FleetState, selected: Bool, now: ContinuousClock.Instant)
            -> ScreenLine
        {
            var line = ScreenLine(selected ? "▸" : " ", .bold)
            line.append(TextFormat.left(worker.host, host))
            line.append(TextFormat.left(worker.name, name), selected ? .inverse : .bold)
            if wide { line.append(TextFormat.right("\(worker.pid)", Self.pid)) }
            line.append(" ")
            let elapsed = state.elapsed(at: now)
            let health = worker.health
            switch health {
            case .alive:
                let phase = worker.phase ?? .running
                line.append(
                    TextFormat.left(DashboardLayout.phaseName(phase), Self.phase), DashboardLayout.phaseStyle(phase))
            case .stopped: line.append(TextFormat.left("STOPPED", Self.phase), .bold)
            case .lost: line.append(TextFormat.left("LOST", Self.phase), .danger)
            case .rescued: line.append(TextFormat.left("RESCUED", Self.phase), .warning)
            }
            line.append(TextFormat.right("\(worker.inFlightNow)", Self.inFlight), health == .alive ? .bold : .dim)
            line.append("  ")
            let cell = bar + Self.seconds + Self.drained + Self.eta + Self.misses
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
                // Its drain, once recorded, and the command that draws it: the fleet's URL is on the header.
                if let drain = FleetText.drain(worker) {
                    line.append(TextFormat.left(drain, cell), .info)
                } else {
                    line.append(TextFormat.left("-", cell), .dim)
                }
            case .alive:
                line.append(deadline(worker, state: state, elapsed: elapsed))
                line.append(drain(worker, elapsed: elapsed))
            }
            if wide {
                let silence = worker.silence + elapsed
                let beat = TextFormat.seconds(silence) + " ago"
                line.append(TextFormat.right(beat, Self.heartbeat), silence > worker.lease / 2 ? .danger : .dim)
            }
            return line
        }

        /// The countdown bar, full at the worker's grace (or, from a worker that does not write its grace,
        /// the longest time left seen), and the seconds left.
        func deadline(_ worker: FleetWorker, state: FleetState, elapsed: Double) -> ScreenLine {
            guard let seconds = worker.secondsLeft else {
                return ScreenLine(TextFormat.left("-", bar + Self.seconds), .dim)
            }
            let grace = worker.drain?.graceSeconds ?? state.longestLeft[worker.id] ?? seconds
            return RowCells.countdown(left: seconds - elapsed, grace: grace, bar: bar, seconds: Self.seconds)
        }

        /// Drained of those in flight at the start, the ETA range and the expected misses.
        func drain(_ worker: FleetWorker, elapsed: Double) -> ScreenLine {
            guard let drained = worker.drained else {
                return RowCells.noDrain(drained: Self.drained, eta: Self.eta, misses: Self.misses)
            }
            let total = worker.drain?.total
            let text = total.map { "\(min($0, drained))/\($0)" } ?? "\(drained)"
            var line = ScreenLine(TextFormat.right(text, Self.drained), .bold)
            let moved = worker.silence + elapsed
            line.append(
                RowCells.eta(
                    p50: worker.drain?.etaP50Seconds.map { max(0, $0 - moved) },
                    p90: worker.drain?.etaP90Seconds.map { max(0, $0 - moved) }, single: nil,
                    ranged: worker.drain?.expectedMisses != nil, width: Self.eta))
            line.append(RowCells.misses(worker.drain?.expectedMisses, width: Self.misses))
            return line
        }

        func totals(_ state: FleetState, rows: (first: Int, count: Int)) -> ScreenLine {
            let workers = state.snapshot?.workers ?? []
            var line = ScreenLine(" " + TextFormat.left("TOTAL", host + name + (wide ? Self.pid : 0) + 1), .bold)
            let position =
                workers.count > rows.count
                ? "\(rows.first + 1)–\(min(workers.count, rows.first + rows.count))/\(workers.count)" : ""
            line.append(TextFormat.left(position, Self.phase), .dim)
            let inFlight = workers.filter { $0.health == .alive }.map(\.inFlight).reduce(0, +)
            line.append(TextFormat.right("\(inFlight)", Self.inFlight), .bold)
            line.append("  shared queue ", .dim)
            line.append(TextFormat.count(state.snapshot?.queued ?? 0), .bold)
            let waiting = workers.map(\.waitingForRescue).reduce(0, +)
            if waiting > 0 { line.append("  \(waiting) waiting for rescue", .danger) }
            return line
        }
    }
}

extension FleetLayout {
    /// The countdown bar's width at `columns`: for tests that count its cells.
    package static func barWidth(columns: Int) -> Int { Columns(width: columns).bar }
}
