import Foundation

/// The four conditions side by side, each of the model's figures next to the oracle's on the same drains,
/// judged against issue 19's targets.
struct CalibrationComparison: Sendable, Codable {
    /// One condition's figures.
    struct Row: Sendable, Codable {
        var condition: CalibrationCondition
        var report: CalibrationReport

        var model: CalibrationScore? { report.scores.first { $0.predictor == .model } }
        var oracle: CalibrationScore? { report.scores.first { $0.predictor == .oracle } }
    }

    /// The model's Brier score may exceed the oracle's by this much.
    static let brierMargin = 0.02
    /// The error of the expected count may exceed the oracle's by this much.
    static let countMargin = 0.1
    /// In a bucket with enough jobs, the observed miss rate lies this close to the predicted one.
    static let reliabilityMargin = 0.1
    /// The share of planner drains that must end clean.
    static let plannerClean = 0.9
    /// The planner's median grace, at most this many times the oracle planner's.
    static let graceRatio = 1.5

    var rows: [Row]

    /// Every target met in every condition.
    var met: Bool { rows.allSatisfy { verdicts($0).allSatisfy { $0 != false } } }

    /// Brier, count error, reliability, planner's clean share, grace ratio: met, missed, or nil (no data).
    func verdicts(_ row: Row) -> [Bool?] {
        let brier = zip(row.model?.brier, row.oracle?.brier).map { $0 <= $1 + Self.brierMargin }
        let count = zip(row.model?.meanCountError, row.oracle?.meanCountError).map { $0 <= $1 + Self.countMargin }
        let reliable = row.model?.worstReliabilityGap.map { $0 <= Self.reliabilityMargin }
        let clean =
            row.report.plannedDrains > 0
            ? Double(row.report.plannedClean) / Double(row.report.plannedDrains) >= Self.plannerClean : nil
        let ratio = zip(row.report.suggestedGraceMedianSeconds, row.report.oracleGraceMedianSeconds)
            .map { $0 <= Self.graceRatio * $1 }
        return [brier, count, reliable, clean, ratio]
    }

    var text: String {
        func f(_ value: Double?, _ format: String = "%.3f") -> String {
            value.map { String(format: format, $0) } ?? "–"
        }
        func mark(_ verdict: Bool?) -> String { verdict.map { $0 ? "✓" : "✗" } ?? " " }
        var lines = [
            "condition                              brier model/oracle   count err model/oracle   worst bucket"
                + "   planner clean   suggested grace median / oracle's"
        ]
        for row in rows {
            let verdict = verdicts(row)
            let planner =
                row.report.plannedDrains > 0 ? "\(row.report.plannedClean)/\(row.report.plannedDrains)" : "–"
            lines.append(
                "\(row.condition.rawValue): \(row.condition.summary)".padding(toLength: 37, withPad: " ", startingAt: 0)
                    + "  "
                    + "\(f(row.model?.brier)) / \(f(row.oracle?.brier)) \(mark(verdict[0]))".padding(
                        toLength: 21, withPad: " ", startingAt: 0)
                    + "  "
                    + "\(f(row.model?.meanCountError, "%.2f")) / \(f(row.oracle?.meanCountError, "%.2f")) "
                    .appending(mark(verdict[1])).padding(toLength: 23, withPad: " ", startingAt: 0)
                    + "  "
                    + "\(f(row.model?.worstReliabilityGap, "%.2f")) \(mark(verdict[2]))".padding(
                        toLength: 13, withPad: " ", startingAt: 0)
                    + "  " + "\(planner) \(mark(verdict[3]))".padding(toLength: 14, withPad: " ", startingAt: 0)
                    + "  " + "\(f(row.report.suggestedGraceMedianSeconds, "%.1f"))s / "
                    + "\(f(row.report.oracleGraceMedianSeconds, "%.1f"))s \(mark(verdict[4]))")
        }
        lines.append("")
        lines.append(
            "targets: brier ≤ oracle + \(Self.brierMargin), count error ≤ oracle + \(Self.countMargin), every bucket "
                + "of ≥ \(CalibrationScore.reliableBucketJobs) jobs within ±\(Self.reliabilityMargin), "
                + "≥ \(Int(Self.plannerClean * 100)) % of planner drains clean, "
                + "median planner grace ≤ \(Self.graceRatio)× the oracle planner's: "
                + (met ? "all met" : "not all met"))
        return lines.joined(separator: "\n")
    }
}

/// Both values, or nil.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
