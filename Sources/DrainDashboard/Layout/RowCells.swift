import DrainProtocol

/// The cells a row of the overview and a row of the fleet screen share, so a worker's drain reads the
/// same on both: the countdown, the ETA range and the misses.
enum RowCells {
    /// The countdown as a bar that empties against the grace, and the seconds left: green above half,
    /// yellow down to a fifth, red below and past the deadline.
    static func countdown(left: Double, grace: Double, bar: Int, seconds: Int) -> ScreenLine {
        let fraction = max(0, left) / max(grace, 0.001)
        let style: Style = left <= 0 ? .danger : fraction > 0.5 ? .ok : fraction > 0.2 ? .warning : .danger
        let gauge = Gauge.bar(fraction, width: bar)
        var line = ScreenLine(gauge.filled, style)
        line.append(gauge.empty, .dim)
        line.append(TextFormat.right(TextFormat.seconds(left), seconds), style)
        return line
    }

    /// `2.1–4.8s` or `3.0s–past`: the range when there is one, else the older single ETA, `?` without
    /// either.
    static func eta(p50: Double?, p90: Double?, single: Double?, ranged: Bool, width: Int) -> ScreenLine {
        guard ranged else { return ScreenLine(TextFormat.right(single.map(TextFormat.seconds) ?? "?", width)) }
        let style: Style = p50 == nil ? .danger : p90 == nil ? .warning : .plain
        return ScreenLine(TextFormat.right(DurationFormat.eta(p50, p90), width), style)
    }

    /// The expected misses rounded, red when any.
    static func misses(_ expected: Double?, width: Int) -> ScreenLine {
        let misses = Int((expected ?? 0).rounded())
        return ScreenLine(TextFormat.right("\(misses)", width), misses > 0 ? .danger : .ok)
    }

    /// `-` in each of the drained, ETA and misses cells: no drain.
    static func noDrain(drained: Int, eta: Int, misses: Int) -> ScreenLine {
        ScreenLine(
            TextFormat.right("-", drained) + TextFormat.right("-", eta) + TextFormat.right("-", misses), .dim)
    }
}
