import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Numbers, durations and clock times as the dashboard prints them.
enum TextFormat {
    /// `42s`, `3m07s`, `2h05m`; see ``DrainProtocol/DurationFormat``, the one formatter all tools share.
    static func duration(_ seconds: Double) -> String { DurationFormat.duration(seconds) }

    /// `7.3s` below a minute, then like ``duration(_:)``.
    static func seconds(_ seconds: Double) -> String { DurationFormat.seconds(seconds) }

    /// `12.35`: `value` rounded to `places` decimals.
    static func fixed(_ value: Double, places: Int) -> String { DurationFormat.fixed(value, places: places) }

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

    private static func pad2(_ value: Int) -> String { DurationFormat.pad2(value) }
}
