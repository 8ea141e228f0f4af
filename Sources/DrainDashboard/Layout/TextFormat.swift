import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Numbers, durations and clock times as the dashboard prints them.
enum TextFormat {
    /// `42s`, `3m07s`, `2h05m`: whole seconds, for uptimes and graces.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds).rounded(.down))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" + pad2(whole % 60) + "s" }
        return "\(whole / 3600)h" + pad2((whole % 3600) / 60) + "m"
    }

    /// `7.3s` below a minute, then like ``duration(_:)``: for countdowns and ages that move every frame.
    static func seconds(_ seconds: Double) -> String {
        let value = max(0, seconds)
        if value < 60 { return fixed(value, places: 1) + "s" }
        return duration(value)
    }

    /// `12.35`: `value` rounded to `places` decimals (0 to 6), like `%.Nf`.
    ///
    /// Integer arithmetic rather than `String(format:)`: it runs for every age and countdown on every
    /// frame, and `String(format:)` goes through Foundation's formatter each time. A value within a
    /// rounding error of a half may round the other way from printf, which no reader can tell.
    static func fixed(_ value: Double, places: Int) -> String {
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

    /// `1,204`: thousands separated, fixed (not locale-dependent) so the layout is stable.
    static func count(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// `14:03:27` in the local time zone.
    static func clock(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&time, &parts)
        return pad2(Int(parts.tm_hour)) + ":" + pad2(Int(parts.tm_min)) + ":" + pad2(Int(parts.tm_sec))
    }

    /// `text` cut to `width` characters, with `…` when something was cut.
    static func clip(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        return String(text.prefix(width - 1)) + "…"
    }

    /// `text` padded with spaces (or clipped) to exactly `width`.
    static func left(_ text: String, _ width: Int) -> String {
        let clipped = clip(text, width)
        return clipped + String(repeating: " ", count: max(0, width - clipped.count))
    }

    /// `text` right-aligned in `width`.
    static func right(_ text: String, _ width: Int) -> String {
        let clipped = clip(text, width)
        return String(repeating: " ", count: max(0, width - clipped.count)) + clipped
    }

    private static func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
