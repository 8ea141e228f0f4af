/// The reliability diagram of a calibration run: predicted P(miss) (x) against the observed miss rate (y).
///
/// A calibrated predictor's points lie on the grey diagonal. Blue: the model, one square per tenth of
/// probability, its area growing with the jobs in it; purple, likewise: the oracle (the demo's own
/// distributions); orange: the previous rule; green: the naive baseline (both yes/no, so their points sit
/// at 0 and 1 only). Grid lines every 0.1.
enum ReliabilityPlot {
    static let model: (UInt8, UInt8, UInt8) = (31, 119, 180)
    static let previous: (UInt8, UInt8, UInt8) = (255, 127, 14)
    static let naive: (UInt8, UInt8, UInt8) = (44, 160, 44)
    static let oracle: (UInt8, UInt8, UInt8) = (148, 103, 189)

    static func draw(_ scores: [CalibrationScore], size: Int = 480) -> PNGImage {
        var image = PNGImage(width: size, height: size)
        let margin = 40
        let span = size - 2 * margin
        func x(_ p: Double) -> Int { margin + Int((p * Double(span)).rounded()) }
        func y(_ p: Double) -> Int { size - margin - Int((p * Double(span)).rounded()) }
        for tenth in 0...10 {
            let p = Double(tenth) / 10
            let shade: (UInt8, UInt8, UInt8) = tenth % 5 == 0 ? (170, 170, 170) : (225, 225, 225)
            image.line(x(p), y(0), x(p), y(1), shade)
            image.line(x(0), y(p), x(1), y(p), shade)
        }
        image.line(x(0), y(0), x(1), y(1), (120, 120, 120), thickness: 2)
        image.line(x(0), y(0), x(1), y(0), (0, 0, 0), thickness: 2)
        image.line(x(0), y(0), x(0), y(1), (0, 0, 0), thickness: 2)
        let total = max(1, scores.map(\.jobs).max() ?? 1)
        for score in scores.reversed() {
            let color: (UInt8, UInt8, UInt8) =
                switch score.predictor {
                case .model: model
                case .previous: previous
                case .naive: naive
                case .oracle: oracle
                }
            var last: (Int, Int)?
            for bucket in score.reliability {
                let point = (x(bucket.meanPredicted), y(bucket.observedMissRate))
                if let last, score.predictor == .model || score.predictor == .oracle {
                    image.line(last.0, last.1, point.0, point.1, color, thickness: 2)
                }
                last = point
                let half = 3 + Int((12 * (Double(bucket.jobs) / Double(total)).squareRoot()).rounded())
                image.fill(point.0 - half, point.1 - half, point.0 + half, point.1 + half, color)
            }
        }
        return image
    }
}
