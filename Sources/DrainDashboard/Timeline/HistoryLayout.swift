import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The drain history as `drainctl report` lists it, and the summary above one drain's timeline. Pure.
package enum HistoryLayout {
    /// One row per drain, newest first as given: when it stopped, which process, its outcome, how long it
    /// took, how many jobs completed and were cut, and the misses forecast at its start against the cut.
    package static func list(_ entries: [DrainHistoryEntry], width: Int) -> [String] {
        let header = ["ID", "STOPPED (UTC)", "OUTCOME", "TOOK", "DONE", "CUT", "MISSES", "PROCESS"]
        var rows = [header]
        for entry in entries {
            let model = TimelineModel(entry)
            let report = entry.report
            let expected = report.timeline?.forecast?.expectedMisses
            rows.append([
                String(entry.id), utc(report.stoppedAt), report.outcome.rawValue,
                DurationFormat.seconds(report.drainSeconds), String(report.completed), String(model.cut),
                (expected.map { DurationFormat.fixed($0, places: 1) } ?? "-") + " / \(model.cut)", process(entry),
            ])
        }
        // Every column as wide as its widest cell; numbers to the right.
        let numeric: Set<Int> = [0, 3, 4, 5]
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var lines = rows.map { row in
            row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index == row.count - 1 { return cell }
                return numeric.contains(index) ? padding + cell : cell + padding
            }
            .joined(separator: "  ")
        }
        .map { TimelineLayout.fit($0, max(width, 40)) }
        if entries.isEmpty { lines.append("(no drain kept yet)") }
        lines.append("MISSES: forecast when the drain began / cut. `drainctl report ID` draws one drain.")
        return lines
    }

    /// The lines above a timeline: which drain of which process, when and how long, what became of its jobs.
    static func summary(_ entry: DrainHistoryEntry) -> [String] {
        let report = entry.report
        let model = TimelineModel(entry)
        var first = "drain \(entry.id) · \(process(entry)) · \(report.outcome.rawValue)"
        if let cause = report.cause { first += " · \(cause)" }
        var second =
            "stopped \(utc(report.stoppedAt)) UTC after " + DurationFormat.seconds(report.drainSeconds)
        if let grace = report.graceSeconds { second += " of " + DurationFormat.short(grace) + " grace" }
        var third = "\(report.inFlightAtDrainStart) in flight at the start: \(report.completed) completed"
        if report.failed > 0 { third += ", \(report.failed) failed" }
        third += ", \(model.cut) cut, \(report.requeued) requeued"
        return [first, second, third]
    }

    /// `billing pid 4242 on web-1`, or the worker's name on a fleet.
    static func process(_ entry: DrainHistoryEntry) -> String {
        var text = "\(entry.worker ?? entry.report.name) pid \(entry.report.pid)"
        if let host = entry.host, !host.isEmpty { text += " on \(host)" }
        return text
    }

    /// `2026-12-07 06:00:10`, in UTC so a report reads the same on every machine.
    package static func utc(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        let pad = DurationFormat.pad2
        return "\(parts.tm_year + 1900)-" + pad(Int(parts.tm_mon) + 1) + "-" + pad(Int(parts.tm_mday)) + " "
            + pad(Int(parts.tm_hour)) + ":" + pad(Int(parts.tm_min)) + ":" + pad(Int(parts.tm_sec))
    }
}
