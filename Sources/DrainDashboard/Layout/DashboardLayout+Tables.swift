import DrainProtocol

extension DashboardLayout {
    /// The first job row shown, kept so the last page is full.
    static func firstJob(_ state: DashboardState, rows: Int) -> Int {
        let count = state.snapshot?.oldestJobs.count ?? 0
        return min(max(0, state.scroll), max(0, count - rows))
    }

    /// The heading, the column titles and `rows` jobs, oldest first, from the scroll position.
    static func jobs(_ state: DashboardState, width: Int, rows: Int, now: ContinuousClock.Instant) -> [ScreenLine] {
        let jobs = state.snapshot?.oldestJobs ?? []
        let total = state.snapshot?.inFlightJobs ?? 0
        let first = firstJob(state, rows: rows)
        var right = ""
        if jobs.count > rows { right = "\(first + 1)–\(min(jobs.count, first + rows)) of \(jobs.count), ↑↓ scroll" }
        if total > jobs.count { right += (right.isEmpty ? "" : "; ") + "the \(jobs.count) oldest of \(total)" }
        var lines = [rule("Jobs in flight, oldest first", width: width, right: right)]
        let kindWidth = max(12, min(28, width - 60))
        lines.append(
            ScreenLine(
                TextFormat.right("ID", 9) + "  " + TextFormat.left("KIND", kindWidth) + TextFormat.right("TRY", 4)
                    + TextFormat.right("AGE", 9) + TextFormat.right("REMAINING", 11) + TextFormat.right("P(MISS)", 8),
                .dim
            )
        )
        let elapsed = state.elapsedSinceSnapshot(at: now)
        let left = state.secondsLeft(at: now)
        for index in first..<(first + rows) {
            guard jobs.indices.contains(index) else {
                lines.append(
                    index == 0 && jobs.isEmpty && state.snapshot != nil
                        ? ScreenLine("  no jobs in flight", .dim) : ScreenLine())
                continue
            }
            let job = jobs[index]
            let remaining = job.predictedRemainingSeconds.map { max(0, $0 - elapsed) }
            var line = ScreenLine(TextFormat.right("#\(job.id)", 9) + "  ")
            line.append(TextFormat.left(job.kind, kindWidth))
            line.append(TextFormat.right(job.attempt > 1 ? "\(job.attempt)" : "", 4), .warning)
            line.append(TextFormat.right(TextFormat.seconds(job.ageSeconds + elapsed), 9))
            let late = remaining.map { rest in left.map { rest > max(0, $0) } ?? false } ?? false
            line.append(
                TextFormat.right(remaining.map { "~" + TextFormat.seconds($0) } ?? "?", 11), late ? .danger : .plain)
            let chance = pMiss(job.pMiss, width: 8)
            line.append(chance.0, chance.1)
            if late, job.pMiss == nil { line.append("  past deadline", .danger) }
            lines.append(line)
        }
        return lines
    }

    /// The heading and the newest `rows` events, oldest of them first.
    static func eventLog(_ state: DashboardState, width: Int, rows: Int) -> [ScreenLine] {
        var lines = [rule("Events", width: width)]
        let shown = state.events.suffix(rows)
        for event in shown {
            var line = ScreenLine(" " + TextFormat.clock(event.time) + "  ", .dim)
            line.append(TextFormat.clip(event.message, width - line.width), style(of: event))
            lines.append(line)
        }
        lines.append(contentsOf: Array(repeating: ScreenLine(), count: rows - shown.count))
        return lines
    }

    static func style(of event: DrainEvent) -> Style {
        switch event.kind {
        case .started, .recovered: .plain
        case .phaseChanged: phaseStyle(event.phase)
        case .deadlineChanged, .jobRequeued, .jobCancelled: .warning
        case .jobFailed: .danger
        case .command: .dim
        case .stopped: event.report?.outcome == .forced ? .danger : .ok
        }
    }
}
