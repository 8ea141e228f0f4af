import DrainSVG

/// The reliability diagram of a calibration run: predicted P(miss) (x) against the observed miss rate (y).
///
/// A calibrated predictor's points lie on the grey diagonal. Blue: the model, one square per tenth of
/// probability, its area growing with the jobs in it; purple, likewise: the oracle (the demo's own
/// distributions); orange: the previous rule; green: the naive baseline (both yes/no, so their points sit
/// at 0 and 1 only). Grid lines every 0.1.
///
/// SVG, not PNG (issue 19): plain text that GitHub and every browser render, drawn with the same writer as
/// the drain timeline, so the harness needs no image encoder of its own.
enum ReliabilityPlot {
    static let model = "#1f77b4"
    static let previous = "#ff7f0e"
    static let naive = "#2ca02c"
    static let oracle = "#9467bd"

    static func color(of predictor: Predictor) -> String {
        switch predictor {
        case .model: model
        case .previous: previous
        case .naive: naive
        case .oracle: oracle
        }
    }

    static func draw(_ scores: [CalibrationScore], size: Double = 480) -> SVGDocument {
        let margin = 48.0
        let span = size - 2 * margin
        var svg = SVGDocument(width: size, height: size + 24)
        svg.rect(x: 0, y: 0, width: size, height: size + 24, fill: "#ffffff")
        func x(_ p: Double) -> Double { margin + p * span }
        func y(_ p: Double) -> Double { size - margin - p * span }
        for tenth in 0...10 {
            let p = Double(tenth) / 10
            let shade = tenth % 5 == 0 ? "#aaaaaa" : "#e1e1e1"
            svg.line(x1: x(p), y1: y(0), x2: x(p), y2: y(1), stroke: shade)
            svg.line(x1: x(0), y1: y(p), x2: x(1), y2: y(p), stroke: shade)
            if tenth % 5 == 0 {
                let label = tenth == 10 ? "1" : tenth == 0 ? "0" : "0.5"
                svg.text(label, x: x(p), y: y(0) + 16, size: 11, anchor: .middle)
                svg.text(label, x: x(0) - 6, y: y(p) + 4, size: 11, anchor: .end)
            }
        }
        svg.line(x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: "#787878", width: 2)
        svg.line(x1: x(0), y1: y(0), x2: x(1), y2: y(0), stroke: "#000000", width: 2)
        svg.line(x1: x(0), y1: y(0), x2: x(0), y2: y(1), stroke: "#000000", width: 2)
        svg.text("predicted P(miss)", x: x(0.5), y: y(0) + 34, size: 12, anchor: .middle)
        svg.text("observed miss rate", x: x(0), y: y(1) - 12, size: 12)
        let total = max(1, scores.map(\.jobs).max() ?? 1)
        for score in scores.reversed() {
            let color = color(of: score.predictor)
            var last: (Double, Double)?
            for bucket in score.reliability {
                let point = (x(bucket.meanPredicted), y(bucket.observedMissRate))
                if let last, score.predictor == .model || score.predictor == .oracle {
                    svg.line(x1: last.0, y1: last.1, x2: point.0, y2: point.1, stroke: color, width: 2)
                }
                last = point
                let half = 3 + 12 * (Double(bucket.jobs) / Double(total)).squareRoot()
                svg.rect(
                    x: point.0 - half, y: point.1 - half, width: 2 * half, height: 2 * half, fill: color,
                    title: "\(score.predictor.rawValue): \(bucket.jobs) jobs, predicted "
                        + "\(SVGDocument.number(bucket.meanPredicted, places: 3)), observed "
                        + "\(SVGDocument.number(bucket.observedMissRate, places: 3))")
            }
        }
        // The legend, in the order the report lists the predictors.
        var legendX = margin
        for score in scores {
            svg.rect(x: legendX, y: size + 6, width: 10, height: 10, fill: color(of: score.predictor))
            svg.text(score.predictor.rawValue, x: legendX + 14, y: size + 15, size: 11)
            legendX += 24 + 7 * Double(score.predictor.rawValue.count)
        }
        return svg
    }
}
