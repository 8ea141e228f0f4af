import Foundation
import Testing

@testable import Drain

@Suite("Pooled priors")
struct PooledPriorTests {
    private func pooled(
        _ finished: [String: [Double]], censored: [String: [(seconds: Double, count: Int)]] = [:]
    ) -> PooledPrior {
        PooledPrior(
            finished: finished, censored: censored.mapValues(CensoredRuns.init), fallbackMedian: 5, fallbackSigma: 1.5)
    }

    @Test("with no runs anywhere, the prior is the configured one")
    func nothingSeen() {
        let prior = pooled([:]).unseen
        #expect(abs(prior.median - 5) < 1e-9)
        #expect(prior.source == .prior)
        // As wide as a kind varies by default and kinds lie apart.
        #expect(abs(prior.sigma - (1 + 1.5 * 1.5).squareRoot()) < 1e-9)
    }

    @Test("a kind with two short runs is predicted near them, not near a 5 s guess")
    func fewRunsOfAShortKind() {
        let priors = pooled([
            "email": [0.2, 0.3, 0.25, 0.4, 0.3, 0.35, 0.28, 0.31],
            "thumbnail": [0.9, 1.1, 1.0, 1.2, 0.8],
            "invoice": [1.8, 2.2],
        ])
        let invoice = priors.prior(for: "invoice")
        #expect(invoice.median > 1.2 && invoice.median < 2.6, "invoice median \(invoice.median)")
        // The pool has learnt that kinds here are around a second: an unseen kind is not given 5 s.
        #expect(priors.unseen.median < 2, "unseen \(priors.unseen.median)")
        // Runs vary within a kind by about ×1.3 here, so a kind's prior is far narrower than ×4.5.
        #expect(invoice.sigma < 1.2)
    }

    @Test("a kind none of whose runs has finished, but three are 8 s old, is taken to be long")
    func censoredOnly() {
        let priors = pooled(
            ["email": [0.2, 0.3, 0.25, 0.4], "thumbnail": [0.9, 1.1, 1.0]],
            censored: ["export": [(seconds: 8, count: 3), (seconds: 2, count: 1)]])
        let export = priors.prior(for: "export")
        #expect(export.median > 6, "export median \(export.median)")
        // The more runs are seen to last, the longer the kind is taken to be.
        let more = pooled(
            ["email": [0.2, 0.3, 0.25, 0.4], "thumbnail": [0.9, 1.1, 1.0]],
            censored: ["export": [(seconds: 8, count: 30)]]
        ).prior(for: "export")
        #expect(more.median > export.median)
    }

    @Test("the more runs a kind has, the less the other kinds pull it")
    func shrinkageFades() {
        let others: [String: [Double]] = ["a": [0.1, 0.12, 0.09], "b": [0.2, 0.25, 0.18]]
        var few = others
        few["slow"] = [10, 12]
        var many = others
        many["slow"] = (0..<40).map { 10 + Double($0 % 5) }
        let pulled = pooled(few).prior(for: "slow").median
        let own = pooled(many).prior(for: "slow").median
        #expect(pulled < own)
        #expect(own > 10 && own < 13, "with 40 runs the median is the kind's own: \(own)")
    }

    @Test("in a snapshot, an undeclared kind with few runs leans on the pooled prior")
    func snapshotUsesThePooledPrior() throws {
        let predictions = SnapshotPredictions(
            samples: ["email": [0.2, 0.3, 0.25, 0.4, 0.3, 0.35, 0.28, 0.31, 0.3, 0.27], "invoice": [1.8, 2.2]],
            declared: [:], listed: [.init(kind: "invoice", age: 1, bucket: 0)], buckets: ["invoice": [0: 1]],
            now: 1.5, timeLeft: 5, defaultGrace: 30, priorMedian: 5
        )
        .compute()
        let job = try #require(predictions.jobs.first)
        #expect(job.source == .prior)
        // An invoice 1 s into a ~2 s kind rarely needs 5 s more; under the old fixed 5 s ×4.5 prior, P ≈ 0.4.
        #expect(job.pMiss < 0.1, "P(miss) \(job.pMiss)")
    }
}
