import Foundation
import Testing

@testable import Drain

/// Samples at the exact quantiles of a distribution, so tests know the answer without randomness.
private func quantiles(_ n: Int, _ inverse: (Double) -> Double) -> [Double] {
    (1...n).map { inverse(Double($0) / Double(n + 1)) }
}

private let widePrior = DurationPrior(median: 5, sigma: 1.5, source: .prior)

@Suite("Duration distributions")
struct DurationDistributionTests {
    // MARK: Known distributions

    @Test("with many samples the survival curve follows the distribution they came from")
    func followsSamples() {
        // Exponential with a mean of 2 s: S(t) = exp(−t / 2).
        let samples = quantiles(2000) { -2 * log(1 - $0) }
        let distribution = DurationDistribution(samples: samples, prior: widePrior, priorWeight: 8)
        #expect(distribution.source == .history)
        for t in [0.5, 1.0, 2.0, 4.0, 8.0] {
            #expect(abs(distribution.survival(t) - exp(-t / 2)) < 0.01, "S(\(t))")
        }
    }

    @Test("past the longest sample the curve keeps a heavy tail instead of dropping to zero")
    func paretoTail() {
        // Pareto with x_m = 1 and α = 1.5: S(t) = t^−1.5.
        let samples = quantiles(500) { pow(1 - $0, -1 / 1.5) }
        let distribution = DurationDistribution(samples: samples, prior: widePrior, priorWeight: 0)
        let longest = samples.max() ?? 0
        let beyond = distribution.survival(longest * 4)
        #expect(beyond > 0)
        #expect(beyond < distribution.survival(longest))
        // The fitted tail follows the true one within a factor of two, well past the data.
        let truth = pow(longest * 4, -1.5)
        #expect(beyond > truth / 2 && beyond < truth * 2, "S = \(beyond), true \(truth)")
    }

    // MARK: Survival conditioning

    @Test("a job's age conditions its chance of finishing: uniform work half-way through its last second")
    func uniformConditioning() {
        let samples = quantiles(1000) { 10 * $0 }
        let distribution = DurationDistribution(samples: samples, prior: widePrior, priorWeight: 0)
        // Unconditionally, 10 % of jobs take more than 9 s; of those at 8 s, half are done by 9 s.
        #expect(abs(distribution.survival(further: 9, age: 0) - 0.1) < 0.01)
        #expect(abs(distribution.survival(further: 1, age: 8) - 0.5) < 0.02)
    }

    @Test("exponential work is memoryless: age does not change the chance of finishing in the next second")
    func memoryless() {
        let samples = quantiles(4000) { -2 * log(1 - $0) }
        let distribution = DurationDistribution(samples: samples, prior: widePrior, priorWeight: 0)
        let young = distribution.survival(further: 1, age: 0)
        let old = distribution.survival(further: 1, age: 3)
        #expect(abs(young - exp(-0.5)) < 0.01)
        #expect(abs(old - exp(-0.5)) < 0.02)
    }

    @Test("heavy-tailed work: the older a job, the less likely it is to finish soon")
    func heavyTailAges() {
        let samples = quantiles(500) { pow(1 - $0, -1 / 1.35) * 4 }
        let distribution = DurationDistribution(samples: samples, prior: widePrior, priorWeight: 8)
        // Pareto from 4 s with α = 1.35: of the jobs aged a, a fraction (a / (a + 5))^1.35 run 5 s more.
        let ages = [5.0, 10, 20, 40]
        let stillRunning = ages.map { distribution.survival(further: 5, age: $0) }
        #expect(stillRunning == stillRunning.sorted(), "\(stillRunning)")
        for (age, p) in zip(ages, stillRunning) {
            #expect(abs(p - pow(age / (age + 5), 1.35)) < 0.05, "age \(age)")
        }
    }

    @Test("the median remaining time of a job shrinks as a uniform job ages")
    func remainingMedian() throws {
        let samples = quantiles(1000) { 10 * $0 }
        let distribution = DurationDistribution(samples: samples, prior: widePrior, priorWeight: 0)
        let fresh = try #require(distribution.remaining(quantile: 0.5, age: 0, horizon: 100))
        let late = try #require(distribution.remaining(quantile: 0.5, age: 8, horizon: 100))
        #expect(abs(fresh - 5) < 0.1)
        #expect(abs(late - 1) < 0.1)
        #expect(distribution.remaining(quantile: 0.5, age: 0, horizon: 2) == nil)
    }

    @Test("jobs still in flight count as runs at least as long as their age (Kaplan–Meier)")
    func censoring() {
        // Finished: 1, 2, 3 s; one still running at 2.5 s. With the extra never-ending run the curve keeps:
        // at risk 5, 4, 2 → S(3) = 0.8 · 0.75 · 0.5 = 0.3, against 0.25 without the running job.
        let prior = DurationPrior(median: 1, sigma: 1, source: .prior)
        let with = DurationDistribution(samples: [3, 1, 2], censored: [(2.5, 1)], prior: prior, priorWeight: 0)
        let without = DurationDistribution(samples: [1, 2, 3], prior: prior, priorWeight: 0)
        #expect(abs(with.survival(3) - 0.3) < 1e-9)
        #expect(abs(without.survival(3) - 0.25) < 1e-9)
        #expect(abs(with.survival(2) - 0.6) < 1e-9)
        // Early in a process only the short runs of a long kind have finished: the long ones in flight
        // keep the curve from claiming that every run is short.
        let early = DurationDistribution(
            samples: [4, 4.5, 5], censored: [(9, 3), (12, 2)], prior: prior, priorWeight: 0)
        let naive = DurationDistribution(samples: [4, 4.5, 5], prior: prior, priorWeight: 0)
        #expect(early.survival(6) > 0.5)
        #expect(naive.survival(6) < 0.25)
    }

    // MARK: Fallback order

    @Test("with no samples the declared duration is used, and without one the pool prior")
    func fallbackOrder() {
        let declared = DurationPrior(median: 30, sigma: 0.75, source: .declared)
        let withDeclared = DurationDistribution(samples: [], prior: declared, priorWeight: 8)
        let withPrior = DurationDistribution(samples: [], prior: widePrior, priorWeight: 8)
        #expect(withDeclared.source == .declared)
        #expect(withPrior.source == .prior)
        #expect(abs(withDeclared.survival(30) - 0.5) < 1e-9)
        #expect(abs(withPrior.survival(5) - 0.5) < 1e-9)
    }

    @Test("a few samples are blended with the prior; once they outweigh it the source is the history")
    func blending() {
        let declared = DurationPrior(median: 30, sigma: 0.5, source: .declared)
        let three = DurationDistribution(samples: [1, 1.1, 1.2], prior: declared, priorWeight: 8)
        // Three 1 s samples against a prior worth eight: 8/11 of the mass is still the prior's, median 30 s;
        // the samples' 3/11 adds at most their own tail past 1.2 s (a quarter of their mass at most).
        #expect(three.source == .declared)
        let fromPrior = 8.0 / 11.0 * declared.survival(5)
        #expect(three.survival(5) >= fromPrior && three.survival(5) <= fromPrior + 3.0 / 11.0 * 0.25)
        #expect(three.survival(40) > 0.15)
        let eight = DurationDistribution(samples: Array(repeating: 1, count: 8), prior: declared, priorWeight: 8)
        #expect(eight.source == .history)
        let many = DurationDistribution(samples: Array(repeating: 1, count: 200), prior: declared, priorWeight: 8)
        #expect(many.survival(5) < 0.05)
    }

    // MARK: Edge cases

    @Test("zero samples and one sample give finite, positive curves")
    func fewSamples() throws {
        let zero = DurationDistribution(samples: [], prior: widePrior, priorWeight: 8)
        let one = DurationDistribution(samples: [2], prior: widePrior, priorWeight: 0)
        for t in [0.0, 1, 2, 3, 100, 10_000] {
            for distribution in [zero, one] {
                let s = distribution.survival(t)
                #expect(s.isFinite && s >= 0 && s <= 1)
            }
        }
        #expect(one.survival(3) > 0)
        #expect(one.survival(0) == 1)
        let remaining = try #require(one.remaining(quantile: 0.5, age: 10, horizon: DrainForecast.horizon))
        #expect(remaining.isFinite && remaining > 0)
    }

    @Test("a job older than anything the model can imagine is taken to be stuck")
    func underflow() {
        let tight = DurationDistribution(
            samples: [], prior: DurationPrior(median: 0.01, sigma: 0.1, source: .prior), priorWeight: 8)
        #expect(tight.survival(1000) == 0)
        #expect(tight.survival(further: 1, age: 1000) == 1)
    }
}
