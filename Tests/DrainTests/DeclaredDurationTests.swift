import Foundation
import Testing

@testable import Drain

/// A kind's declared median and p90: the prior of a kind nobody has seen finish, as wide as declared.
@Suite("Declared durations")
struct DeclaredDurationTests {
    /// The planner's view of one export 5 s into its run, nothing finished yet, with `declared` as prior.
    private func plan(_ declared: DeclaredDuration?) -> SnapshotPredictions.Result {
        SnapshotPredictions(
            samples: [:], declared: declared.map { ["export": $0] } ?? [:],
            listed: [.init(kind: "export", age: 5, bucket: 0)], buckets: ["export": [0: 1]], now: 5.5, timeLeft: nil,
            defaultGrace: 30, priorMedian: 5
        )
        .compute()
    }

    @Test("the prior goes through the declared median and p90")
    func priorThroughBothPoints() throws {
        let declared = try #require(DeclaredDuration(median: .seconds(13), p90: .seconds(44)))
        let prior = declared.prior
        #expect(abs(prior.survival(13) - 0.5) < 1e-9)
        #expect(abs(prior.survival(44) - 0.1) < 1e-9)
        #expect(prior.source == .declared)
    }

    @Test("without a p90, or with one not above the median, the default spread; without a median, nothing")
    func fallbacks() throws {
        let plain = try #require(DeclaredDuration(median: .seconds(4), p90: nil))
        let below = try #require(DeclaredDuration(median: .seconds(4), p90: .seconds(3)))
        #expect(below.p90 == nil)
        #expect(plain.prior == below.prior)
        #expect(plain.prior.sigma == DeclaredDuration.defaultSigma)
        #expect(DeclaredDuration(median: nil, p90: .seconds(3)) == nil)
        #expect(DeclaredDuration(median: .zero, p90: nil) == nil)
        #expect(DeclaredDuration(median: .seconds(-1), p90: nil) == nil)
    }

    @Test("a long declared tail makes the planner's grace longer and a miss likelier than the default spread")
    func longTailLengthensThePlan() throws {
        let narrow = plan(DeclaredDuration(median: .seconds(13), p90: nil))
        let wide = plan(DeclaredDuration(median: .seconds(13), p90: .seconds(44)))
        let narrowGrace = try #require(narrow.suggestedGrace)
        let wideGrace = try #require(wide.suggestedGrace)
        #expect(wideGrace > narrowGrace * 1.3, "\(narrowGrace) s → \(wideGrace) s")
        #expect(wide.forecast.expectedMisses > narrow.forecast.expectedMisses)
        #expect(wide.jobs.first?.source == .declared && narrow.jobs.first?.source == .declared)
    }
}
