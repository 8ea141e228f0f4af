/// Text bars and sparklines, drawn with block elements so a bar moves in eighths of a cell.
package enum Gauge {
    private static let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    private static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// A bar `width` cells wide, `fraction` (clamped to 0...1) of it filled.
    /// - Returns: The filled part and the empty part, so the caller can style them apart.
    package static func bar(_ fraction: Double, width: Int) -> (filled: String, empty: String) {
        guard width > 0 else { return ("", "") }
        let clamped = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let eighthsTotal = Int((clamped * Double(width * 8)).rounded())
        var filled = String(repeating: "█", count: eighthsTotal / 8)
        let rest = eighthsTotal % 8
        if rest > 0 { filled.append(eighths[rest - 1]) }
        let used = eighthsTotal / 8 + (rest > 0 ? 1 : 0)
        return (filled, String(repeating: "░", count: width - used))
    }

    /// One character per value, scaled so `ceiling` is a full block; nil values (no data yet) are spaces.
    package static func sparkline(_ values: [Int?], ceiling: Int) -> String {
        let top = max(1, ceiling)
        return String(
            values.map { value -> Character in
                guard let value else { return " " }
                if value <= 0 { return "▁" }
                // Eight glyphs for eighths of the ceiling; the lowest is kept for zero.
                let level = Int((Double(min(value, top)) / Double(top) * 8).rounded(.up)) - 1
                return levels[min(7, max(1, level))]
            })
    }
}
