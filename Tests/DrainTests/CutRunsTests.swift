import Foundation
import Testing

@testable import Drain

/// Runs cut short by drains, in the model: censored observations that lengthen a kind's predictions.
@Suite("Runs cut short in the history")
struct CutRunsTests {
    private let prior = DurationPrior(median: 1, sigma: 1, source: .prior)

    /// One export aged 0.5 s, 3 s before the deadline; the kind's ten finished runs took 1.0–1.9 s.
    private func predictions(cut: [Double]) -> SnapshotPredictions.Result {
        SnapshotPredictions(
            samples: ["export": (0..<10).map { 1 + Double($0) / 10 }], cut: ["export": cut], declared: [:],
            listed: [.init(kind: "export", age: 0.5, bucket: 0)], buckets: ["export": [0: 1]], now: 0.5,
            timeLeft: 3, defaultGrace: 10, priorMedian: 5
        )
        .compute()
    }

    @Test("runs cut at 6 s by earlier drains make a job of the kind likely to miss a 3 s deadline")
    func cutHistoryLengthensPredictions() throws {
        let without = predictions(cut: [])
        let with = predictions(cut: Array(repeating: 6, count: 20))
        let pWithout = try #require(without.jobs.first?.pMiss)
        let pWith = try #require(with.jobs.first?.pMiss)
        // Finished runs alone: all done by 1.9 s, so the tail past 3.5 s is the prior's share and a steep
        // Pareto. With 20 of 30 runs known to last at least 6 s, about two thirds of the curve is still up.
        #expect(pWithout < 0.4, "\(pWithout)")
        #expect(pWith > 0.55, "\(pWith)")
        #expect(with.forecast.expectedMisses > without.forecast.expectedMisses)
        #expect(with.jobs.first?.source == .history, "the finished runs still carry the weight")
    }

    @Test("the Kaplan–Meier curve stays flat after the longest finished run up to the longest cut one")
    func flatUntilTheLongestCensoredRun() {
        // Finished 1, 2, 3 s; two runs cut at 10 s. At risk 6, 5, 4 → S(3) = 5/6 · 4/5 · 3/4 = 0.5.
        let with = DurationDistribution(
            samples: [1, 2, 3], censored: [(10, 2)], prior: prior, priorWeight: 0)
        let without = DurationDistribution(samples: [1, 2, 3], prior: prior, priorWeight: 0)
        #expect(abs(with.survival(3) - 0.5) < 1e-9)
        #expect(abs(with.survival(9.5) - 0.5) < 1e-9, "no run is known to end between 3 s and 10 s")
        #expect(with.survival(20) < with.survival(10), "a tail past the longest observation")
        #expect(without.survival(9.5) < 0.25 * with.survival(9.5))
    }

    @Test("cut runs are censored observations, not finished ones: they never count as samples")
    func cutRunsAreNotSamples() {
        var samples = DurationSamples(capacity: 4)
        samples.add(1)
        samples.add(7, censored: true)
        samples.add(2)
        #expect(samples.count == 2)
        #expect(samples.values.sorted() == [1, 2])
        #expect(samples.censoredValues == [7])
        #expect(samples.quantile(1) == 2)
        // The ring keeps the newest runs of either sort, so their proportion is the recent one.
        samples.add(8, censored: true)
        samples.add(9, censored: true)
        #expect(samples.count == 1)
        #expect(samples.censoredValues.sorted() == [7, 8, 9])
    }
}
