import Foundation

/// The four conditions side by side, each of the model's figures next to the oracle's on the same drains,
/// judged against issue 19's targets.
struct CalibrationComparison: Sendable, Codable {
    /// One condition's figures.
    struct Row: Sendable, Codable {
        var condition: CalibrationCondition
        var report: CalibrationReport
        /// Each target: met, missed, or nil when these drains cannot tell (no planner drain, no bucket
        /// with enough jobs).
        var targets: Targets

        init(condition: CalibrationCondition, report: CalibrationReport) {
            self.condition = condition
            self.report = report
            targets = Targets(report)
        }

        var model: CalibrationScore? { report.scores.first { $0.predictor == .model } }
        var oracle: CalibrationScore? { report.scores.first { $0.predictor == .oracle } }
    }

    /// Issue 19's targets for one condition.
    struct Targets: Sendable, Codable {
        var brier: Bool?
        var countError: Bool?
        var reliability: Bool?
        var plannerClean: Bool?
        var graceRatio: Bool?

        private enum CodingKeys: String, CodingKey {
            case brier, reliability
            case countError = "count_error"
            case plannerClean = "planner_clean"
            case graceRatio = "grace_ratio"
        }

        init(_ report: CalibrationReport) {
            let model = report.scores.first { $0.predictor == .model }
            let oracle = report.scores.first { $0.predictor == .oracle }
            brier = both(model?.brier, oracle?.brier).map { $0 <= $1 + CalibrationComparison.brierMargin }
            countError = both(model?.meanCountError, oracle?.meanCountError)
                .map { $0 <= $1 + CalibrationComparison.countMargin }
            reliability = model?.worstReliabilityGap.map { $0 <= CalibrationComparison.reliabilityMargin }
            plannerClean =
                report.plannedDrains > 0
                ? Double(report.plannedClean) / Double(report.plannedDrains) >= CalibrationComparison.plannerClean
                : nil
            graceRatio = both(report.suggestedGraceMedianSeconds, report.oracleGraceMedianSeconds)
                .map { $0 <= CalibrationComparison.graceRatio * $1 }
        }

        var all: [Bool?] { [brier, countError, reliability, plannerClean, graceRatio] }
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
    /// Every target met in every condition (one that the drains cannot tell counts as not missed).
    var met: Bool

    init(rows: [Row]) {
        self.rows = rows
        met = rows.allSatisfy { $0.targets.all.allSatisfy { $0 != false } }
    }

    var text: String {
        func f(_ value: Double?, _ format: String = "%.3f") -> String {
            value.map { String(format: format, $0) } ?? "–"
        }
        func mark(_ verdict: Bool?) -> String { verdict.map { $0 ? "✓" : "✗" } ?? " " }
        var lines = [
            "condition                              brier model/oracle   count err model/oracle   worst bucket m/o"
                + "      planner clean           suggested grace median / oracle's"
        ]
        for row in rows {
            let verdict = row.targets.all
            let planner =
                (row.report.plannedDrains > 0 ? "\(row.report.plannedClean)/\(row.report.plannedDrains)" : "–")
                + (row.report.cappedDrains > 0 ? " +\(row.report.cappedDrains) capped" : "")
            lines.append(
                "\(row.condition.rawValue): \(row.condition.summary)".padding(toLength: 37, withPad: " ", startingAt: 0)
                    + "  "
                    + "\(f(row.model?.brier)) / \(f(row.oracle?.brier)) \(mark(verdict[0]))".padding(
                        toLength: 21, withPad: " ", startingAt: 0)
                    + "  "
                    + "\(f(row.model?.meanCountError, "%.2f")) / \(f(row.oracle?.meanCountError, "%.2f")) "
                    .appending(mark(verdict[1])).padding(toLength: 23, withPad: " ", startingAt: 0)
                    + "  "
                    + "\(f(row.model?.worstReliabilityGap, "%.2f")) / \(f(row.oracle?.worstReliabilityGap, "%.2f")) "
                    .appending(mark(verdict[2])).padding(toLength: 20, withPad: " ", startingAt: 0)
                    + "  " + "\(planner) \(mark(verdict[3]))".padding(toLength: 22, withPad: " ", startingAt: 0)
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
private func both<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
