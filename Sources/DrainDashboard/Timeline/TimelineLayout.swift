import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One drain drawn for the terminal (`drainctl report ID`): a lane per job, oldest first, on a shared time
/// axis, with the deadline, the forcing and the forecast range marked. Pure: report in, lines out.
///
/// A lane is `█` from the job's start to its end; a cut job ends in `×`, a failed one in `!`, one still
/// running fades out in `░`. A deadline is a `│` down the lanes and a `^` under them, the drain's start a
/// `:`, the forcing an `F`. The forecast row spans the ETA's p50 to its p90 (`>` when the p90 lay past the
/// deadline). Under `LANG=C` every character has its ASCII stand-in from ``AsciiFallback``.
package enum TimelineLayout {
    /// The narrowest picture drawn; a narrower `width` is widened to it.
    package static let minimumWidth = 60
    static let labelWidth = 16
    /// ` cancelled  81%`: a space, the fate, a space, the chance to miss forecast at the start.
    static let tailWidth = 15

    /// The timeline in `width` columns.
    /// - Parameters:
    ///   - entry: The drain, from a journal's history.
    ///   - width: The terminal's columns (at least ``minimumWidth`` are used).
    ///   - ascii: Draw in ASCII only (a locale that is not UTF-8).
    package static func lines(_ entry: DrainHistoryEntry, width: Int, ascii: Bool) -> [String] {
        let model = TimelineModel(entry)
        let width = max(width, minimumWidth)
        let barWidth = width - labelWidth - tailWidth
        func column(_ seconds: Double) -> Int {
            Int((model.fraction(seconds) * Double(barWidth - 1)).rounded())
        }
        var out = HistoryLayout.summary(entry).map { fit($0, width) }
        out.append("")

        // The axis: the span's ends, and 0 at the drain's start when there is room.
        var axis = Array(repeating: Character(" "), count: barWidth)
        put(signed(model.from), at: 0, in: &axis)
        let right = signed(model.to)
        put(right, at: barWidth - right.count, in: &axis)
        let zero = column(0)
        if model.from < 0, zero > signed(model.from).count + 1, zero + 2 < barWidth - right.count {
            put("0", at: zero, in: &axis)
        }
        out.append(pad("time", labelWidth) + String(axis).trimmingTrailing())

        // The grid the lanes are drawn over: the drain's start and every deadline.
        var grid = Array(repeating: Character(" "), count: barWidth)
        if model.from < 0 { grid[zero] = ":" }
        for deadline in model.deadlines { grid[column(deadline)] = "│" }

        for lane in model.lanes {
            var cells = grid
            let first = column(lane.start)
            let last = column(lane.end ?? model.to)
            for index in first...max(first, last) { cells[index] = lane.end == nil ? "░" : "█" }
            if lane.wasCut {
                cells[last] = "×"
            } else if lane.fate == .failed {
                cells[last] = "!"
            }
            let tail = " " + pad(lane.fate?.rawValue ?? "running", 9) + " " + percent(lane.pMiss)
            out.append(pad(lane.label, labelWidth - 1) + " " + String(cells) + tail)
        }
        if model.lanes.isEmpty { out.append(pad("", labelWidth) + "(no job was in flight when the drain began)") }
        if model.lanesOmitted > 0 { out.append(pad("", labelWidth) + "(\(model.lanesOmitted) more lanes not kept)") }

        // Under the lanes: the marks, then the forecast range.
        var marks = Array(repeating: Character(" "), count: barWidth)
        if model.from < 0 { marks[zero] = ":" }
        for deadline in model.deadlines { marks[column(deadline)] = "^" }
        if let forced = model.forced { marks[column(forced)] = "F" }
        out.append(pad("deadline", labelWidth) + String(marks).trimmingTrailing())
        if model.forecastGiven, let p50 = model.forecastP50 {
            var range = Array(repeating: Character(" "), count: barWidth)
            let low = column(p50)
            let high = model.forecastP90.map(column) ?? barWidth - 1
            for index in low...max(low, high) { range[index] = "=" }
            range[low] = "["
            range[max(low, high)] = model.forecastP90 == nil || (model.forecastP90 ?? 0) > model.to ? ">" : "]"
            out.append(pad("forecast ETA", labelWidth) + String(range).trimmingTrailing())
        }
        out.append("")
        out.append(contentsOf: legend(model).map { fit($0, width) })
        return ascii ? out.map(AsciiFallback.text) : out
    }

    /// What the marks mean, with the numbers the picture can only approximate.
    static func legend(_ model: TimelineModel) -> [String] {
        var lines: [String] = []
        if let first = model.deadlines.first {
            var text = "^ deadline " + signed(first) + " after the drain began"
            let moves = model.deadlines.dropFirst()
            if !moves.isEmpty { text += "; moved to " + moves.map(signed).joined(separator: ", then ") }
            lines.append(text)
        }
        var marks: [String] = []
        if let forced = model.forced { marks.append("F forced at " + signed(forced)) }
        marks.append("× cut")
        if model.lanes.contains(where: { $0.fate == .failed }) { marks.append("! failed") }
        if model.from < 0 { marks.append(": drain began") }
        lines.append(marks.joined(separator: " · "))
        if model.forecastGiven {
            let forecast = model.entry.report.timeline?.forecast
            var text = "forecast at the start: ETA " + DurationFormat.eta(model.forecastP50, model.forecastP90)
            if let expected = forecast?.expectedMisses {
                text += ", " + DurationFormat.fixed(expected, places: 1) + " expected to miss; \(model.cut) cut"
            }
            lines.append(text)
        }
        return lines
    }

    /// `+8.0s`, `-5.0s`, `+1m05s`.
    static func signed(_ seconds: Double) -> String {
        (seconds < -0.05 ? "-" : "+") + DurationFormat.seconds(abs(seconds))
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "    " }
        let text = "\(Int((min(1, max(0, value)) * 100).rounded()))%"
        return String(repeating: " ", count: max(0, 4 - text.count)) + text
    }

    static func put(_ text: String, at index: Int, in cells: inout [Character]) {
        for (offset, character) in text.enumerated() where index + offset >= 0 && index + offset < cells.count {
            cells[index + offset] = character
        }
    }

    /// `text` cut or padded to exactly `width` columns (one column per character: labels are ours or
    /// a job kind, drawn as given).
    static func pad(_ text: String, _ width: Int) -> String {
        let cut = fit(text, width)
        return cut + String(repeating: " ", count: max(0, width - cut.count))
    }

    /// `text` cut to `width` columns, with `…` for what is cut.
    static func fit(_ text: String, _ width: Int) -> String {
        guard text.count > width else { return text }
        return String(text.prefix(max(0, width - 1))) + "…"
    }
}

extension String {
    /// Without its trailing spaces: the timelines' rows end where their marks do.
    func trimmingTrailing() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
