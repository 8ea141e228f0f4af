import Drain
import Foundation

/// One calibration drain: what was predicted one second into it, and what then happened.
struct DrainObservation: Sendable, Codable {
    /// A job in flight when the prediction was read.
    struct Job: Sendable, Codable {
        var id: JobID
        var kind: String
        var ageSeconds: Double
        var pMiss: Double?
        var source: PredictionSource?
        /// It was still running at the deadline (cancelled and requeued).
        var missed: Bool

        private enum CodingKeys: String, CodingKey {
            case id, kind, source, missed
            case ageSeconds = "age_seconds"
            case pMiss = "p_miss"
        }
    }

    /// A job in flight when the planner was asked: as the drain began (or, in older observations, just
    /// before it).
    struct PlanJob: Sendable, Codable {
        var kind: String
        var ageSeconds: Double

        private enum CodingKeys: String, CodingKey {
            case kind
            case ageSeconds = "age_seconds"
        }
    }

    var index: Int
    /// The calibration run's `--seed`; the drain's own choices derive from it and ``index``.
    var runSeed: UInt64?
    /// The demo's workload seed.
    var seed: UInt64
    /// drain-demo's `--duration-scale`.
    var durationScale: Double
    var graceSeconds: Double
    /// The grace came from the planner (`suggested_grace_seconds`), not from the random draw.
    var planned: Bool
    /// What the planner said: for a planner drain, the grace the drain planned as it began (its
    /// `suggested_grace_seconds`); for the others, the status's plan just before the drain.
    var plan: DrainPlan?
    /// A planner drain that began on `--planner-cap`: the planner wanted that much or more. Nil in
    /// observations from before the pool planned its own grace (``capped`` then compares with the plan).
    var plannerCapped: Bool?
    /// The jobs in flight when the plan was read; nil when some were not listed (or in older observations).
    var planJobs: [PlanJob]?
    /// The drain was over before the prediction was due: it is left out of the scores (not the planner's).
    var endedBeforeSample: Bool
    /// Seconds from the drain's start to the prediction.
    var sampledAfterSeconds: Double
    var secondsLeft: Double
    var expectedMisses: Double?
    var etaP50Seconds: Double?
    var etaP90Seconds: Double?
    /// Per kind at the prediction: the median and p95 that today's (point) predictor uses.
    var kindP50: [String: Double]
    var kindP95: [String: Double]
    var jobs: [Job]
    var outcome: ShutdownReport.Outcome
    var drainSeconds: Double

    private enum CodingKeys: String, CodingKey {
        case index, seed, planned, plan, jobs, outcome
        case planJobs = "plan_jobs"
        case plannerCapped = "planner_capped"
        case endedBeforeSample = "ended_before_sample"
        case durationScale = "duration_scale"
        case runSeed = "run_seed"
        case graceSeconds = "grace_seconds"
        case sampledAfterSeconds = "sampled_after_seconds"
        case secondsLeft = "seconds_left"
        case expectedMisses = "expected_misses"
        case etaP50Seconds = "eta_p50_seconds"
        case etaP90Seconds = "eta_p90_seconds"
        case kindP50 = "kind_p50"
        case kindP95 = "kind_p95"
        case drainSeconds = "drain_seconds"
    }

    /// A planner drain whose suggested grace was above `--planner-cap`: it ran on the cap instead.
    var capped: Bool {
        if let plannerCapped { return plannerCapped }
        guard planned, let suggested = plan?.suggestedGraceSeconds else { return false }
        // The grace sent is rounded to the millisecond, and the server's deadline is counted from its
        // own start of the drain: a few milliseconds apart from the suggestion, not a cap.
        return suggested > graceSeconds + 0.05
    }

    /// Seconds from the prediction to the end of the drain.
    var actualRemaining: Double { max(0, drainSeconds - sampledAfterSeconds) }
    var actualMisses: Int { jobs.filter(\.missed).count }

    /// The chance, from drain-demo's true distributions, that every job in flight at the plan is done
    /// `t` seconds later; nil without the plan's jobs.
    func oracleAllDone(by t: Double) -> Double? {
        planJobs?.reduce(1) {
            $0 * (1 - DemoWorkload.pMiss($1.kind, age: $1.ageSeconds, further: t, scale: durationScale))
        }
    }

    /// The oracle planner's grace: the time by which every job in flight at the plan has finished with
    /// probability `quantile`, from drain-demo's true distributions; nil without the plan's jobs or
    /// beyond `cap`.
    func oracleGrace(quantile: Double = 0.9, cap: Double) -> Double? {
        guard let atCap = oracleAllDone(by: cap), atCap >= quantile else { return nil }
        func allDone(by t: Double) -> Double { oracleAllDone(by: t) ?? 0 }
        var low = 0.0
        var high = cap
        for _ in 0..<60 where high - low > 0.001 {
            let middle = (low + high) / 2
            if allDone(by: middle) >= quantile { high = middle } else { low = middle }
        }
        return high
    }
}
