import Foundation

/// The duration distribution of one job kind: its observed durations blended with a prior.
///
/// Built once per kind per snapshot (one sort of at most a ring's worth of samples and the kind's jobs
/// in flight, by start second), then asked about every job of the kind in O(log n). The survival curve is
/// the weighted mixture `w·empirical + (1 − w)·prior`, `w = n / (n + priorWeight)` for `n` finished
/// runs: with three samples the prior still counts for most, with hundreds it hardly counts at all, as a
/// Bayesian update with a prior worth `priorWeight` observations would have it.
///
/// The empirical part is a Kaplan–Meier estimate: the jobs still in flight count as runs known to last
/// at least their age (right-censored). Without them, the durations seen early in a process's life
/// would be only the short runs of a long kind, the long ones not having finished yet. It is linear
/// between its steps. Once the kind has enough finished runs to choose its ``TailFamily`` (log-normal or
/// Pareto, whichever fits its runs better), that family continues the curve past the longest run (a
/// Pareto already from the last step with 20 runs still at risk); before that, the curve continues as
/// the heavier of the prior's own tail and a Pareto fitted to the longest runs (Hill's estimate): a job
/// that has outlived every sample is then neither certain to finish at once nor certain never to finish.
struct DurationDistribution: Sendable {
    /// What most of the weight rests on.
    let source: PredictionSource
    /// The empirical curve's corners: times (ascending) and survival just after each.
    private let times: [Double]
    private let survivals: [Double]
    private let events: Int
    private let prior: DurationPrior
    private let weight: Double
    private let tailIndex: Double
    /// The tail past ``tailStart`` when the kind has enough finished runs to choose one.
    private let family: TailFamily?
    /// Where the family takes over from Kaplan–Meier, and the curve's level there: the last corner with
    /// at least ``minimumAtRisk`` runs at risk (or the longest run, if it always had them).
    private let familyStart: Double
    private let familyLevel: Double
    private let familyAtStart: Double
    private let priorAtStart: Double

    /// Past the point where fewer runs than this are still at risk, Kaplan–Meier's steps are a handful
    /// of runs each, and biased low; a chosen family continues the curve from there instead.
    static let minimumAtRisk = 20.0
    /// Where the Pareto tail starts: the longest run observed, finished or censored. Kaplan–Meier's curve
    /// stays flat after its last step up to the longest censored run (those runs were still going), so a
    /// kind whose long runs were all cut is not taken to end right after its longest finished one.
    private let tailStart: Double

    /// - Parameters:
    ///   - samples: Observed durations in seconds, in any order.
    ///   - censored: Runs still going, as (age in seconds, how many): each lasts at least its age.
    ///   - censoredBins: The same runs binned, when the caller has them already (the tail fit uses those).
    ///   - prior: The declared or pooled prior.
    ///   - priorWeight: How many observations the prior is worth.
    init(
        samples: [Double], censored: [(seconds: Double, count: Int)] = [], censoredBins: CensoredRuns? = nil,
        prior: DurationPrior, priorWeight: Double
    ) {
        let finished = samples.filter { $0.isFinite && $0 >= 0 }.sorted()
        var running = censored.filter { $0.seconds.isFinite && $0.seconds >= 0 && $0.count > 0 }
        running.sort { $0.seconds < $1.seconds }
        // Kaplan–Meier with one extra run at risk that never ends, so the curve stays above zero at the
        // longest sample (without censoring its corners are 1 − i / (n + 1)).
        var atRisk = Double(finished.count + running.reduce(0) { $0 + $1.count } + 1)
        var survival = 1.0
        var times: [Double] = []
        var survivals: [Double] = []
        // The last corner reached with minimumAtRisk runs still at risk.
        var wellFounded = -1
        var i = 0
        var j = 0
        while i < finished.count {
            let t = finished[i]
            while j < running.count, running[j].seconds < t {
                atRisk -= Double(running[j].count)
                j += 1
            }
            var ended = 0
            while i < finished.count, finished[i] == t {
                ended += 1
                i += 1
            }
            if atRisk >= Self.minimumAtRisk { wellFounded = times.count }
            survival *= 1 - Double(ended) / atRisk
            atRisk -= Double(ended)
            times.append(t)
            survivals.append(survival)
        }
        self.times = times
        self.survivals = survivals
        events = finished.count
        self.prior = prior
        let n = Double(finished.count)
        weight = finished.isEmpty ? 0 : n / (n + max(priorWeight, 0))
        source = weight >= 0.5 ? .history : prior.source
        tailIndex = Self.hill(finished)
        tailStart = max(times.last ?? 0, running.last?.seconds ?? 0)
        let family =
            finished.count >= TailFamily.minimumRuns
            ? TailFamily.fit(finished, censored: censoredBins ?? CensoredRuns(running))
            : nil
        // Only a Pareto's: its few longest runs are where the steps err most (a heavy tail that few runs
        // reach), while a log-normal or bounded kind's longest runs lie close to where it ends, and its
        // steps say so better than a fitted curve (uniform work fitted as a log-normal would go on past 10 s).
        if case .pareto = family, wellFounded >= 0, wellFounded < times.count - 1 {
            familyStart = times[wellFounded]
            familyLevel = survivals[wellFounded]
        } else {
            familyStart = tailStart
            familyLevel = survivals.last ?? 1
        }
        familyAtStart = family?.survival(familyStart) ?? 0
        // A fit that gives that point no chance at all cannot say how much longer a run goes on.
        self.family = familyAtStart > 0 ? family : nil
        priorAtStart = prior.survival(tailStart)
    }

    /// The tail chosen for the kind's longest runs; nil while it has too few finished runs to choose.
    var tailFamily: TailFamily? { family }

    /// How many observations the empirical part has.
    var sampleCount: Int { events }

    /// The chance that a job of this kind runs longer than `seconds` in all.
    func survival(_ seconds: Double) -> Double {
        guard weight > 0 else { return prior.survival(seconds) }
        return weight * empiricalSurvival(seconds) + (1 - weight) * prior.survival(seconds)
    }

    /// The chance that a job that has run `age` seconds is still running `further` seconds from now.
    ///
    /// A job older than anything the model can imagine (a survival that underflows) is taken to be stuck.
    func survival(further: Double, age: Double) -> Double {
        let now = survival(max(age, 0))
        guard now > 0 else { return 1 }
        return min(1, survival(max(age, 0) + max(further, 0)) / now)
    }

    /// The `q` quantile (0 < q < 1) of the time a job that has run `age` seconds still needs, capped at
    /// `horizon`; nil when the quantile lies beyond it.
    func remaining(quantile q: Double, age: Double, horizon: Double) -> Double? {
        // Survival falls from 1 to 0 as the remaining time grows: find where it crosses 1 − q.
        // S(age) once, not once per step: S(age + r) ≤ (1 − q)·S(age).
        let age = max(age, 0)
        let alive = survival(age)
        guard alive > 0 else { return nil }
        let target = (1 - q) * alive
        guard survival(age + horizon) <= target else { return nil }
        return Self.bisect(upTo: horizon) { survival(age + $0) <= target }
    }

    /// The smallest `t` in `0...upTo` for which `done(t)` holds, given that it holds at `upTo` and stays
    /// true once true. Bisects on a log scale above a millisecond, since durations span decades, to 0.2 %:
    /// finer than any screen shows, and each step costs a pass over the jobs.
    static func bisect(upTo horizon: Double, _ done: (Double) -> Bool) -> Double {
        if done(0) { return 0 }
        var low = 0.001
        if done(low) { return low }
        var high = max(horizon, low)
        for _ in 0..<48 where high / low > 1.002 {
            let middle = (low * high).squareRoot()
            if done(middle) { high = middle } else { low = middle }
        }
        return high
    }

    private func empiricalSurvival(_ t: Double) -> Double {
        guard t > 0 else { return 1 }
        if let family, t > familyStart { return familyLevel * family.survival(t) / familyAtStart }
        guard let last = times.last, t < last else {
            // Past the longest sample: flat up to the longest censored run, then a Pareto tail.
            let level = survivals[survivals.count - 1]
            guard t > tailStart else { return level }
            // Too few runs to choose a family: the heavier of the prior's shape past them (declared, or
            // pooled from the other kinds) and a Pareto on the longest runs (Hill's index, 1 with fewer
            // than five). A handful of runs can tell neither tail apart, and a planner that takes the
            // lighter one plans graces that heavy-tailed kinds overrun (calibrated in PREDICTIONS.md).
            let hill = tailStart > 0 ? pow(tailStart / t, tailIndex) : 0
            guard priorAtStart > 1e-12 else { return level * hill }
            return level * max(hill, prior.survival(t) / priorAtStart)
        }
        // The first corner at or after t; the curve runs linearly from the corner before it.
        var low = 0
        var high = times.count - 1
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < t { low = middle + 1 } else { high = middle }
        }
        let upperTime = times[low]
        let lowerTime = low == 0 ? 0 : times[low - 1]
        let lowerSurvival = low == 0 ? 1 : survivals[low - 1]
        guard upperTime > lowerTime else { return survivals[low] }
        return lowerSurvival + (survivals[low] - lowerSurvival) * (t - lowerTime) / (upperTime - lowerTime)
    }

    /// The Pareto index of the longest samples (Hill's estimator), clamped to a sane range; 1 when there
    /// are too few samples to tell.
    private static func hill(_ sorted: [Double]) -> Double {
        let n = sorted.count
        guard n >= 5 else { return 1 }
        let k = max(2, min(n / 5, 50))
        let threshold = sorted[n - 1 - k]
        guard threshold > 0 else { return 1 }
        var sum = 0.0
        for value in sorted[(n - k)...] { sum += log(value / threshold) }
        guard sum > 0 else { return 4 }
        return min(4, max(0.5, Double(k) / sum))
    }
}
