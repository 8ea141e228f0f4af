import Foundation
import Testing

@testable import Drain

/// Samples at the exact quantiles of a distribution, so the fits are known without randomness.
private func quantiles(_ n: Int, _ inverse: (Double) -> Double) -> [Double] {
    (1...n).map { inverse(Double($0) / Double(n + 1)) }
}

/// The standard normal's quantile, by bisection on erfc (precise enough for test data).
private func normalQuantile(_ p: Double) -> Double {
    var low = -10.0
    var high = 10.0
    for _ in 0..<100 {
        let middle = (low + high) / 2
        if 0.5 * erfc(-middle / 2.0.squareRoot()) < p { low = middle } else { high = middle }
    }
    return (low + high) / 2
}

@Suite("Tail families")
struct TailFamilyTests {
    @Test("Pareto runs are fitted as a Pareto with their index; log-normal runs as a log-normal")
    func choosesByLikelihood() throws {
        let pareto = quantiles(200) { 4 * pow(1 - $0, -1 / 1.35) }.sorted()
        guard case .pareto(let minimum, let index) = try #require(TailFamily.fit(pareto)) else {
            Issue.record("a Pareto sample was not fitted as a Pareto")
            return
        }
        #expect(abs(index - 1.35) < 0.15, "index \(index)")
        #expect(abs(minimum - (pareto.first ?? 0)) < 1e-12)

        let logNormal = quantiles(200) { 2 * exp(0.5 * normalQuantile($0)) }.sorted()
        guard case .logNormal(let mu, let sigma) = try #require(TailFamily.fit(logNormal)) else {
            Issue.record("a log-normal sample was not fitted as a log-normal")
            return
        }
        #expect(abs(mu - log(2)) < 0.01)
        #expect(abs(sigma - 0.5) < 0.05)
    }

    @Test("fewer than thirty runs, or runs that do not vary, choose no family")
    func tooFew() {
        #expect(TailFamily.fit(quantiles(29) { 1 + $0 }) == nil)
        #expect(TailFamily.fit(Array(repeating: 2, count: 100)) == nil)
        #expect(TailFamily.fit(quantiles(30) { 1 + $0 }) != nil)
    }

    @Test("past the longest run, a Pareto kind's curve follows its fitted Pareto, a log-normal kind's falls faster")
    func tailPastTheData() throws {
        let prior = DurationPrior(median: 5, sigma: 1.5, source: .prior)
        let paretoRuns = quantiles(200) { 4 * pow(1 - $0, -1 / 1.35) }
        let heavy = DurationDistribution(samples: paretoRuns, prior: prior, priorWeight: 0)
        let longest = try #require(paretoRuns.max())
        // Conditional on outliving every run, the chance of lasting twice as long is 2^−1.35 under the Pareto.
        let ratio = heavy.survival(longest * 2) / heavy.survival(longest)
        #expect(abs(ratio - pow(2, -1.35)) < 0.05, "ratio \(ratio)")
        guard case .pareto = try #require(heavy.tailFamily) else {
            Issue.record("expected a Pareto tail")
            return
        }

        let logNormalRuns = quantiles(200) { 2 * exp(0.5 * normalQuantile($0)) }
        let light = DurationDistribution(samples: logNormalRuns, prior: prior, priorWeight: 0)
        let lightLongest = try #require(logNormalRuns.max())
        let lightRatio = light.survival(lightLongest * 2) / light.survival(lightLongest)
        #expect(lightRatio < 0.01, "a log-normal's tail past twice its longest run: \(lightRatio)")
    }

    @Test("runs cut by drains count: a Pareto kind whose long runs were all cut keeps its heavy tail")
    func censoredRunsCount() throws {
        // Pareto from 4 s, index 1.35; every run past 12 s was cut at 12 s (a drain's deadline).
        let runs = quantiles(400) { 4 * pow(1 - $0, -1 / 1.35) }
        let finished = runs.filter { $0 <= 12 }.sorted()
        let cut = runs.count - finished.count
        let withCuts = try #require(TailFamily.fit(finished, censored: CensoredRuns([(seconds: 12, count: cut)])))
        guard case .pareto(_, let index) = withCuts else {
            Issue.record("fitted \(withCuts), expected a Pareto")
            return
        }
        #expect(abs(index - 1.35) < 0.2, "index \(index)")
        // Without the cut runs the finished ones look far lighter-tailed than the kind is.
        let withoutCuts = try #require(TailFamily.fit(finished))
        #expect(withoutCuts.survival(40) < withCuts.survival(40) / 2, "\(withoutCuts) against \(withCuts)")
    }

    @Test("with too few runs to choose a family, the curve past them keeps the prior's shape")
    func priorShapePastFewRuns() {
        let prior = DurationPrior(median: 10, sigma: 1, tail: .init(start: 20, index: 1.35), source: .declared)
        let distribution = DurationDistribution(samples: [5, 6, 7, 8, 9], prior: prior, priorWeight: 8)
        #expect(distribution.tailFamily == nil)
        // Past every run, doubling the time keeps a fixed share: the declared Pareto's 2^−1.35.
        let ratio = distribution.survival(100) / distribution.survival(50)
        #expect(abs(ratio - pow(2, -1.35)) < 0.01, "ratio \(ratio)")
    }

    @Test("a Pareto kind whose longest runs were cut: its curve past them stays near the truth")
    func sparseTail() {
        // 150 exports (Pareto from 4 s, index 1.35); those past 25 s were cut there by drains.
        let runs = quantiles(150) { 4 * pow(1 - $0, -1 / 1.35) }
        let finished = runs.filter { $0 <= 25 }
        let cut = runs.count - finished.count
        let distribution = DurationDistribution(
            samples: finished, censored: [(seconds: 25, count: cut)],
            prior: DurationPrior(median: 8, sigma: 0.5, source: .prior), priorWeight: 8)
        for t in [20.0, 30, 60, 120] {
            let truth = pow(4 / t, 1.35)
            let ratio = distribution.survival(t) / truth
            #expect(ratio > 0.75 && ratio < 1.35, "S(\(t)) is \(ratio)× the truth")
        }
    }
}
