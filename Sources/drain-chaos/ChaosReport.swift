import Drain
import Foundation

/// The totals of a chaos run, for people and as JSON.
struct ChaosReport: Sendable, Encodable {
    /// A finding or anomaly, with what is needed to replay it.
    struct Problem: Sendable, Encodable {
        var iteration: Int
        var action: String
        /// A ``Finding/Kind`` raw value, or `anomaly` for a problem of the run itself.
        var kind: String
        var job: JobID?
        var detail: String
        /// The iteration's directory (journal, record, demo logs), kept when it failed.
        var directory: String
    }

    private enum CodingKeys: String, CodingKey {
        case seed, iterations, seconds, kills, outcomes, jobs, problems, passed
        case firstIteration = "first_iteration"
        case secondsPerIteration = "seconds_per_iteration"
        case slowestIterationSeconds = "slowest_iteration_seconds"
        case lateDeadlineMoves = "late_deadline_moves"
        case problemCount = "problem_count"
        case failedIterations = "failed_iterations"
    }

    var seed: UInt64
    var firstIteration: Int
    var iterations = 0
    var seconds = 0.0
    var secondsPerIteration = 0.0
    var slowestIterationSeconds = 0.0
    /// Actions done, by ``ChaosAction/Kind``.
    var kills: [String: Int] = Dictionary(uniqueKeysWithValues: ChaosAction.Kind.allCases.map { ($0.rawValue, 0) })
    /// How the demo under load ended, by ``ChaosRecord/Outcome``.
    var outcomes: [String: Int] = Dictionary(
        uniqueKeysWithValues: ChaosRecord.Outcome.allCases.map { ($0.rawValue, 0) })
    /// Deadline moves that arrived after the drain had already ended.
    var lateDeadlineMoves = 0
    /// The verifier's counts, summed over every iteration.
    var jobs = Verdict()
    /// Problems found, at most ``problemLimit`` of them (``problemCount`` counts all).
    var problems: [Problem] = []
    var problemCount = 0
    var failedIterations = 0

    static let problemLimit = 100

    init(seed: UInt64, firstIteration: Int) {
        self.seed = seed
        self.firstIteration = firstIteration
    }

    /// True when nothing was lost, no duplicate is unexplained and the run had no other problem.
    private(set) var passed = true

    mutating func add(_ result: IterationResult) {
        iterations += 1
        slowestIterationSeconds = max(slowestIterationSeconds, result.seconds)
        kills[result.plan.action.kind.rawValue, default: 0] += 1
        if let status = result.loadStatus { outcomes[status.outcome.rawValue, default: 0] += 1 }
        if result.lateMove { lateDeadlineMoves += 1 }
        jobs.addCounts(of: result.verdict)
        if !result.passed { failedIterations += 1 }
        let action = result.plan.action.summary
        var found = result.verdict.findings.map {
            Problem(
                iteration: result.plan.iteration, action: action, kind: $0.kind.rawValue, job: $0.job,
                detail: $0.detail,
                directory: result.directory
            )
        }
        found += result.anomalies.map {
            Problem(
                iteration: result.plan.iteration, action: action, kind: "anomaly", job: nil, detail: $0,
                directory: result.directory
            )
        }
        problemCount += found.count
        problems += found.prefix(max(0, Self.problemLimit - problems.count))
        passed = problemCount == 0 && jobs.lost == 0 && jobs.duplicatedUnexplained == 0
    }

    /// The report for people.
    var text: String {
        func row(_ title: String, _ pairs: [(String, Int)]) -> String {
            title.padding(toLength: 11, withPad: " ", startingAt: 0)
                + pairs.map { "\($0.0) \($0.1)" }.joined(separator: "  ")
        }
        var lines = [
            "drain-chaos: \(iterations) iterations from \(firstIteration), seed \(seed), "
                + String(
                    format: "%.1fs (%.2fs per iteration, slowest %.2fs)", seconds, secondsPerIteration,
                    slowestIterationSeconds),
            row("actions", ChaosAction.Kind.allCases.map { ($0.rawValue, kills[$0.rawValue] ?? 0) }),
            row("outcomes", ChaosRecord.Outcome.allCases.map { ($0.rawValue, outcomes[$0.rawValue] ?? 0) })
                + "  (late deadline moves \(lateDeadlineMoves))",
            row(
                "jobs",
                [
                    ("accepted", jobs.accepted), ("unacknowledged", jobs.unacknowledged), ("runs", jobs.runs),
                    ("completed", jobs.completed), ("failed", jobs.failed),
                ]
            ),
            row("", [("requeued", jobs.requeued), ("recovered", jobs.recovered), ("duplicated", jobs.duplicated)])
                + " (\(jobs.duplicatedAllowed) allowed, \(jobs.duplicatedUnexplained) unexplained)",
            row("", [("lost", jobs.lost)]),
        ]
        for problem in problems {
            lines.append(
                "  iteration \(problem.iteration) [\(problem.action)] \(problem.kind): \(problem.detail) (\(problem.directory))"
            )
        }
        if problemCount > problems.count { lines.append("  … and \(problemCount - problems.count) more") }
        lines.append(
            passed
                ? "PASS: nothing lost, no unexplained duplicate"
                : "FAIL: \(problemCount) problems in \(failedIterations) iterations; replay one with --seed \(seed) --first-iteration N --iterations 1"
        )
        return lines.joined(separator: "\n")
    }
}
