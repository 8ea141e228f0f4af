import Foundation

/// What the jobs in flight will do before a deadline: one model behind every number a snapshot shows.
///
/// Each job's chance of missing the deadline is its kind's survival curve conditioned on the job's age;
/// the expected number of misses is the sum of those chances; the drain's ETA is the distribution of the
/// time the last job finishes (the product of the jobs' finishing curves, jobs taken as independent).
/// Because all of them come from the same curves, the ETA cannot lie past the deadline while the expected
/// misses say none (P(all done) ≥ 1 − Σ P(miss)).
///
/// Pure: give it the distributions and the ages; it reads no clock and takes no lock.
struct DrainForecast: Sendable {
    /// Jobs of one kind and (about) one age: a listed job on its own, or a second's worth of the rest.
    struct Group: Sendable, Hashable {
        var kind: String
        var age: Double
        var count: Int
    }

    /// The prediction for one job.
    struct Job: Sendable, Hashable {
        var pMiss: Double
        var source: PredictionSource
        /// The median of the time it still needs; nil past ``DrainForecast/horizon``.
        var remainingP50: Double?
    }

    /// The longest time anything is predicted over: a day, the longest grace the protocol accepts.
    static let horizon = 86_400.0

    /// The forecast for each of the `listed` groups, in order.
    let jobs: [Job]
    /// The expected number of jobs still running at the deadline, over every group.
    let expectedMisses: Double
    /// How many jobs, over every group, are more likely than not to miss (P(miss) ≥ 0.5).
    let likelyToMiss: Int
    /// The median and the 90th percentile of the time until the last job finishes; nil when that
    /// percentile lies past the deadline (or past ``horizon``).
    let etaP50: Double?
    let etaP90: Double?

    private let groups: [(distribution: DurationDistribution, age: Double, count: Int, alive: Double)]

    /// - Parameters:
    ///   - listed: Jobs predicted one by one (the snapshot's listed jobs), `count` 1 each.
    ///   - others: The remaining jobs in flight, grouped by kind and age.
    ///   - distributions: Per kind; a kind without one uses `fallback`.
    ///   - fallback: The pooled prior of a kind never seen.
    ///   - timeLeft: Seconds until the deadline (zero or less: it has passed).
    init(
        listed: [Group], others: [Group], distributions: [String: DurationDistribution],
        fallback: DurationDistribution, timeLeft: Double
    ) {
        var groups: [(distribution: DurationDistribution, age: Double, count: Int, alive: Double)] = []
        groups.reserveCapacity(listed.count + others.count)
        for group in listed + others where group.count > 0 {
            let distribution = distributions[group.kind] ?? fallback
            groups.append((distribution, max(0, group.age), group.count, distribution.survival(max(0, group.age))))
        }
        self.groups = groups
        let limit = min(timeLeft, Self.horizon)
        var expected = 0.0
        var likely = 0
        var jobs: [Job] = []
        jobs.reserveCapacity(listed.count)
        for (index, group) in groups.enumerated() {
            let pMiss = timeLeft <= 0 ? 1 : Self.stillRunning(group, after: limit)
            expected += pMiss * Double(group.count)
            if pMiss >= 0.5 { likely += group.count }
            if index < listed.count {
                jobs.append(
                    Job(
                        pMiss: pMiss, source: group.distribution.source,
                        remainingP50: group.distribution.remaining(quantile: 0.5, age: group.age, horizon: Self.horizon)
                    ))
            }
        }
        self.jobs = jobs
        expectedMisses = expected
        likelyToMiss = likely
        etaP50 = Self.quantile(0.5, of: groups, within: limit)
        etaP90 = Self.quantile(0.9, of: groups, within: limit)
    }

    /// The `q` quantile of the time until every job has finished, looked for up to `limit` seconds
    /// (the deadline, a grace being planned, ``horizon``); nil when it lies beyond.
    func eta(quantile q: Double, within limit: Double) -> Double? {
        Self.quantile(q, of: groups, within: min(limit, Self.horizon))
    }

    private static func stillRunning(
        _ group: (distribution: DurationDistribution, age: Double, count: Int, alive: Double), after t: Double
    ) -> Double {
        guard group.alive > 0 else { return 1 }
        return min(1, group.distribution.survival(group.age + max(0, t)) / group.alive)
    }

    private static func quantile(
        _ q: Double, of groups: [(distribution: DurationDistribution, age: Double, count: Int, alive: Double)],
        within limit: Double
    ) -> Double? {
        guard !groups.isEmpty else { return 0 }
        guard limit > 0 else { return nil }
        // log P(every job done by t): a sum, so a thousand jobs of one second's bucket cost one term.
        func allDone(by t: Double) -> Double {
            var sum = 0.0
            for group in groups {
                let done = 1 - stillRunning(group, after: t)
                guard done > 0 else { return -.infinity }
                sum += Double(group.count) * log(done)
            }
            return sum
        }
        let target = log(q)
        guard allDone(by: limit) >= target else { return nil }
        return DurationDistribution.bisect(upTo: limit) { allDone(by: $0) >= target }
    }
}
