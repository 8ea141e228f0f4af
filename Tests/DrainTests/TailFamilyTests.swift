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
}
