/// Seconds and durations as every drainctl tool prints them: `42s`, `3m07s`, `7.3s`, `12.35`.
///
/// One implementation for the CLI, the dashboard, the demo and the chaos harness. Integer arithmetic
/// rather than `String(format:)`: that goes through Foundation's internationalization (ICU), which the
/// operator side does not link, and it runs for every age and countdown on every frame of `top`.
package enum DurationFormat {
    /// `42s`, `3m07s`, `2h05m`: whole seconds, for uptimes and graces.
    package static func duration(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds).rounded(.down))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + pad2(whole % 60) + "s" }
        return "\(whole / 3600)h" + pad2((whole % 3600) / 60) + "m"
    }

    /// `7.3s` below a minute, then like ``duration(_:)``: for countdowns and ages that move every frame.
    package static func seconds(_ seconds: Double) -> String {
        let value = max(0, seconds)
        if value < 60 { return fixed(value, places: 1) + "s" }
        return duration(value)
    }

    /// `1.5s` below ten seconds when there is a fraction, else like ``duration(_:)`` rounded to the
    /// second: for graces and deadline moves in event messages.
    package static func short(_ seconds: Double) -> String {
        if seconds < 10, seconds != seconds.rounded() { return fixed(seconds, places: 1) + "s" }
        return duration(seconds.rounded())
    }

    /// `12.35`: `value` rounded to `places` decimals (0 to 6), like `%.Nf`.
    ///
    /// A value within a rounding error of a half may round the other way from printf, which no reader
    /// can tell.
    package static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1
        for _ in 0..<min(6, max(0, places)) { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded()
        guard scaled < 1e15 else { return "\(value)" }
        let units = Int(scaled)
        var text = (value < 0 && units > 0 ? "-" : "") + String(units / scale)
        guard scale > 1 else { return text }
        let fraction = String(units % scale)
        text += "." + String(repeating: "0", count: String(scale).count - 1 - fraction.count) + fraction
        return text
    }

    /// An ETA's p50 and p90, the same on every screen and in the CLI: `2.1–4.8s`, `58.0s–1m05s`, `2.1s`
    /// when both ends print alike, `2.1s–past` when the p90 lies past the deadline, `past` when the p50
    /// does too.
    /// - Parameter past: What an end past the deadline reads as.
    package static func eta(_ p50: Double?, _ p90: Double?, past: String = "past") -> String {
        guard let p50 else { return past }
        let low = seconds(p50)
        guard let p90 else { return low + "–" + past }
        let high = seconds(p90)
        guard low != high else { return low }
        // One unit for two plain seconds; `58.0s–1m05s` keeps both.
        let plain = !low.contains("m") && !high.contains("m")
        return (plain ? String(low.dropLast()) : low) + "–" + high
    }

    /// `07`: two digits, zero-padded.
    package static func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

extension Duration {
    /// The duration in seconds, fractions included: for JSON fields, reports and printing.
    package var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds, for monotonic offsets.
    package var nanoseconds: Int64 {
        let (whole, attoseconds) = components
        return whole * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
