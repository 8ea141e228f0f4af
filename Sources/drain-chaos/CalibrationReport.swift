import Foundation

/// The result of `drain-chaos calibrate`: every predictor's scores over the same drains, and the
/// planner's.
struct CalibrationReport: Sendable, Codable {
    var seed: UInt64
    var drains: Int
    var cleanDrains: Int
    /// Drains over before the prediction was due, left out of the scores.
    var endedBeforeSample: Int
    var jobs: Int
    var missed: Int
    var scores: [CalibrationScore]
    /// Drains on the planner's own grace, and how many of them ended clean.
    var plannedDrains: Int
    var plannedClean: Int
    /// Planner drains whose suggestion was above `--planner-cap`, so they ran on the cap instead: not
    /// the planner's grace, so not in its clean share.
    var cappedDrains: Int
    var cappedClean: Int
    /// The planner's graces, to show what they cost.
    var plannedGraceMedianSeconds: Double?
    /// Over the same drains: the oracle planner's grace (the p90 of the time every job in flight at the
    /// plan needs, from drain-demo's true distributions), for the target "median grace ≤ 1.5× the oracle's".
    var oracleGraceMedianSeconds: Double?
    /// The planner's own answers on those drains before `--planner-cap` (what the oracle's is compared
    /// with: a cap is the operator's, not the planner's).
    var suggestedGraceMedianSeconds: Double?
    /// The clean planner drains to expect at the graces the planner chose, from drain-demo's true
    /// distributions: the sum over those drains of P(every job done within the grace). A planner short
    /// of 90 % of its drains is unlucky when this is short too, and wrong when it is not. Nil when no
    /// planner drain listed all its jobs.
    var oracleExpectedClean: Double?
    /// How many planner drains that sum is over (the ones that listed every job at the plan).
    var oracleExpectedOver: Int?
    var seconds: Double

    private enum CodingKeys: String, CodingKey {
        case seed, drains, jobs, missed, scores, seconds
        case endedBeforeSample = "ended_before_sample"
        case cleanDrains = "clean_drains"
        case plannedDrains = "planned_drains"
        case plannedClean = "planned_clean"
        case cappedDrains = "capped_drains"
        case cappedClean = "capped_clean"
        case plannedGraceMedianSeconds = "planned_grace_median_seconds"
        case oracleGraceMedianSeconds = "oracle_grace_median_seconds"
        case suggestedGraceMedianSeconds = "suggested_grace_median_seconds"
        case oracleExpectedClean = "oracle_expected_clean"
        case oracleExpectedOver = "oracle_expected_over"
    }

    init(seed: UInt64, drains: [DrainObservation], seconds: Double) {
        self.seed = seed
        self.drains = drains.count
        cleanDrains = drains.filter { $0.outcome == .clean }.count
        let scored = drains.filter { !$0.endedBeforeSample }
        endedBeforeSample = drains.count - scored.count
        jobs = scored.map(\.jobs.count).reduce(0, +)
        missed = scored.map(\.actualMisses).reduce(0, +)
        scores = Predictor.allCases.map { CalibrationScore($0, drains: scored) }
        let planned = drains.filter(\.planned)
        let capped = planned.filter(\.capped)
        plannedDrains = planned.count - capped.count
        plannedClean = planned.filter { !$0.capped && $0.outcome == .clean }.count
        cappedDrains = capped.count
        cappedClean = capped.filter { $0.outcome == .clean }.count
        plannedGraceMedianSeconds = Self.median(planned.filter { !$0.capped }.map(\.graceSeconds))
        // The planner's answer and the oracle planner's, on the same drains (a day: the longest grace the
        // protocol accepts).
        let pairs = planned.compactMap { drain in
            drain.plan?.suggestedGraceSeconds.flatMap { suggested in
                drain.oracleGrace(cap: 86_400).map { (suggested: suggested, oracle: $0) }
            }
        }
        suggestedGraceMedianSeconds = Self.median(pairs.map(\.suggested))
        let chances = planned.filter { !$0.capped }.compactMap { $0.oracleAllDone(by: $0.graceSeconds) }
        oracleExpectedClean = chances.isEmpty ? nil : chances.reduce(0, +)
        oracleExpectedOver = chances.isEmpty ? nil : chances.count
        oracleGraceMedianSeconds = Self.median(pairs.map(\.oracle))
        self.seconds = seconds
    }

    /// The upper median (as the figures in docs/PREDICTIONS.md were taken); nil for none.
    private static func median(_ values: [Double]) -> Double? {
        let sorted = values.sorted()
        return sorted.isEmpty ? nil : sorted[sorted.count / 2]
    }

    var text: String {
        func f(_ value: Double?, _ format: String = "%.2f") -> String {
            value.map { String(format: format, $0) } ?? "–"
        }
        var lines = [
            "calibration: \(drains) drains (\(cleanDrains) clean, \(endedBeforeSample) over before the prediction), "
                + "\(jobs) jobs in flight at the prediction, \(missed) missed; seed \(seed); \(f(seconds, "%.0f"))s",
            "",
            "predictor   recall  precision  brier  count err  eta err  in p50–p90  ≤ p90  worst bucket",
        ]
        for score in scores {
            lines.append(
                score.predictor.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + "  " + f(score.recall).leftPad(6) + "  " + f(score.precision).leftPad(9)
                    + "  " + f(score.brier, "%.3f").leftPad(5) + "  " + f(score.meanCountError).leftPad(9)
                    + "  " + f(score.meanEtaError).leftPad(7) + "  " + f(score.insideP50P90).leftPad(10)
                    + "  " + f(score.atOrBeforeP90).leftPad(5) + "  " + f(score.worstReliabilityGap).leftPad(12))
        }
        if let model = scores.first(where: { $0.predictor == .model }), model.expectedInsideP50P90 != nil {
            lines.append(
                "  (the model expects, for these clean drains: \(f(model.expectedInsideP50P90)) in p50–p90, "
                    + "\(f(model.expectedAtOrBeforeP90)) ≤ p90)")
        }
        lines.append("")
        lines.append("reliability (model): P(miss) bucket, jobs, mean predicted, observed miss rate")
        for bucket in scores.first(where: { $0.predictor == .model })?.reliability ?? [] {
            lines.append(
                String(
                    format: "  %.1f–%.1f  %5d  %.3f  %.3f", bucket.low, bucket.high, bucket.jobs,
                    bucket.meanPredicted, bucket.observedMissRate))
        }
        if plannedDrains + cappedDrains > 0 {
            lines.append("")
            lines.append(
                "planner: \(plannedClean)/\(plannedDrains) drains started with its grace ended clean"
                    + (cappedDrains > 0 ? "; \(cappedClean)/\(cappedDrains) on the cap, above its grace, did" : "")
                    + " (median grace \(f(plannedGraceMedianSeconds, "%.1f"))s, suggested before the cap "
                    + "\(f(suggestedGraceMedianSeconds, "%.1f"))s; the oracle planner's, same drains: "
                    + "\(f(oracleGraceMedianSeconds, "%.1f"))s)")
            if let oracleExpectedClean, let oracleExpectedOver {
                lines.append(
                    "  at those graces the true distributions expect "
                        + String(format: "%.1f", oracleExpectedClean) + " of \(oracleExpectedOver) clean")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
