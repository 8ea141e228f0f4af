import DrainProtocol
import DrainSVG

/// One drain drawn as an SVG image (`drainctl report ID --svg FILE`): the terminal's timeline, in colour.
///
/// A lane is a bar from the job's start to its end: blue when it finished, orange when it failed, and red
/// from the deadline (or its start, if later) to where the drain cut it. The deadline is a solid dark line,
/// the deadlines it replaced dashed; the forcing a red dashed line; the forecast ETA range (p50 to p90) a
/// green band behind the lanes. Pure: the same report gives the same bytes.
package enum TimelineSVG {
    /// The red of a cut job's bar, which the renderer test looks for.
    package static let cutColor = "#d62728"
    static let doneColor = "#4c78a8"
    static let failedColor = "#f58518"
    static let runningColor = "#9ecae9"

    static let width = 960.0
    static let labelWidth = 170.0
    static let tailWidth = 110.0
    static let laneHeight = 20.0
    static let top = 70.0

    /// The SVG text of `entry`'s timeline.
    package static func document(_ entry: DrainHistoryEntry) -> String {
        let model = TimelineModel(entry)
        let plotWidth = width - labelWidth - tailWidth
        let lanes = max(1, model.lanes.count)
        let plotBottom = top + Double(lanes) * laneHeight
        let height = plotBottom + 90
        func x(_ seconds: Double) -> Double { labelWidth + model.fraction(seconds) * plotWidth }

        var svg = SVGDocument(width: width, height: height)
        svg.rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
        let summary = HistoryLayout.summary(entry)
        svg.text(summary[0], x: 10, y: 22, size: 14, bold: true)
        svg.text(summary[1] + " · " + summary[2], x: 10, y: 42, size: 11, fill: "#555")

        // Behind the lanes: the forecast range, then the axis and its ticks.
        if model.forecastGiven, let p50 = model.forecastP50 {
            let end = model.forecastP90.map(x) ?? labelWidth + plotWidth
            svg.rect(
                x: x(p50), y: top - 6, width: max(2, end - x(p50)), height: plotBottom - top + 12, fill: "#2ca02c",
                opacity: 0.15, title: "forecast ETA " + DurationFormat.eta(p50, model.forecastP90))
        }
        svg.line(x1: labelWidth, y1: plotBottom + 8, x2: labelWidth + plotWidth, y2: plotBottom + 8, stroke: "#888")
        for tick in ticks(from: model.from, to: model.to) {
            svg.line(x1: x(tick), y1: plotBottom + 4, x2: x(tick), y2: plotBottom + 12, stroke: "#888")
            let label = tick == 0 ? "0" : TimelineLayout.signed(tick)
            svg.text(label, x: x(tick), y: plotBottom + 26, size: 10, anchor: .middle)
        }
        svg.text(
            "seconds from the drain's start", x: labelWidth + plotWidth / 2, y: plotBottom + 42, size: 10,
            anchor: .middle, fill: "#555")

        for (index, lane) in model.lanes.enumerated() {
            let y = top + Double(index) * laneHeight
            svg.text(TimelineLayout.fit(lane.label, 22), x: 10, y: y + 14, size: 11)
            let start = x(lane.start)
            let end = max(start + 2, x(lane.end ?? model.to))
            let color = lane.end == nil ? runningColor : lane.fate == .failed ? failedColor : doneColor
            let title = "\(lane.label): \(lane.fate?.rawValue ?? "running")"
            svg.rect(x: start, y: y + 3, width: end - start, height: laneHeight - 6, fill: color, title: title)
            if lane.wasCut {
                let from = min(end - 3, max(start, x(model.deadlines.last ?? lane.start)))
                svg.rect(x: from, y: y + 3, width: end - from, height: laneHeight - 6, fill: cutColor, title: title)
            }
            var tail = lane.fate?.rawValue ?? "running"
            if let pMiss = lane.pMiss { tail += " " + TimelineLayout.percent(pMiss).trimmingPrefixSpaces() }
            svg.text(tail, x: labelWidth + plotWidth + 8, y: y + 14, size: 11, fill: lane.wasCut ? cutColor : "#222")
        }
        if model.lanes.isEmpty {
            svg.text("no job was in flight when the drain began", x: labelWidth + 8, y: top + 14, size: 11)
        }

        // On top: the drain's start, the deadlines (the replaced ones dashed), the forcing.
        if model.from < 0 {
            svg.line(x1: x(0), y1: top - 8, x2: x(0), y2: plotBottom + 8, stroke: "#888", dash: "2 3")
        }
        for (index, deadline) in model.deadlines.enumerated() {
            let current = index == model.deadlines.count - 1
            svg.line(
                x1: x(deadline), y1: top - 8, x2: x(deadline), y2: plotBottom + 8, stroke: current ? "#333" : "#999",
                width: current ? 2 : 1, dash: current ? nil : "4 3")
        }
        if let last = model.deadlines.last {
            svg.text("deadline " + TimelineLayout.signed(last), x: x(last), y: top - 12, size: 10, anchor: .middle)
        }
        if let forced = model.forced {
            svg.line(x1: x(forced), y1: top - 8, x2: x(forced), y2: plotBottom + 8, stroke: cutColor, dash: "3 2")
        }
        let legend = TimelineLayout.legend(model).filter { !$0.hasPrefix("^") && !$0.hasPrefix("F ") }
        svg.text(
            "blue: done · orange: failed · red: cut, from the deadline to the cut · dark line: the deadline"
                + (model.deadlines.count > 1 ? " (dashed: before it moved)" : "") + " · green: forecast ETA p50–p90",
            x: 10, y: height - 30, size: 10, fill: "#555")
        if let forecast = legend.last(where: { $0.hasPrefix("forecast") }) {
            svg.text(forecast, x: 10, y: height - 12, size: 10, fill: "#2a7a2a")
        }
        return svg.rendered
    }

    /// About six round ticks across the span, 0 always among them.
    static func ticks(from: Double, to: Double) -> [Double] {
        let span = to - from
        let steps: [Double] = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]
        let step = steps.first { span / $0 <= 8 } ?? 3600
        var tick = (from / step).rounded(.up) * step
        var ticks: [Double] = []
        while tick <= to + step * 1e-9 {
            ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return ticks
    }
}

extension String {
    fileprivate func trimmingPrefixSpaces() -> String { String(drop { $0 == " " }) }
}
