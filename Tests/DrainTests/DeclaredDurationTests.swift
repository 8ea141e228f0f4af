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

@Suite("Declared tails")
struct DeclaredTailTests {
    @Test("with a p99 too, the prior's tail past the p90 is a Pareto through the p90 and the p99")
    func paretoThroughP99() throws {
        // An export: median 13.4 s, p90 44 s, p99 241 s (a Pareto from 8 s with index 1.35).
        let declared = try #require(DeclaredDuration(median: .seconds(13.4), p90: .seconds(44), p99: .seconds(241)))
        let prior = declared.prior
        #expect(abs(prior.survival(13.4) - 0.5) < 1e-9)
        #expect(abs(prior.survival(44) - 0.1) < 1e-9)
        #expect(abs(prior.survival(241) - 0.01) < 1e-9)
        // Heavier than the log-normal through the median and p90 alone, the more so the further out.
        let light = try #require(DeclaredDuration(median: .seconds(13.4), p90: .seconds(44))).prior
        #expect(prior.survival(120) > light.survival(120) * 1.5)
        #expect(prior.survival(44) == light.survival(44))
    }

    @Test("a p99 not above the p90 is ignored; a p99 without a p90 sets the spread alone")
    func p99Fallbacks() throws {
        let below = try #require(DeclaredDuration(median: .seconds(4), p90: .seconds(10), p99: .seconds(9)))
        #expect(below.p99 == nil)
        #expect(below.prior.tail == nil)
        let alone = try #require(DeclaredDuration(median: .seconds(4), p90: nil, p99: .seconds(40)))
        #expect(alone.prior.tail == nil)
        #expect(abs(alone.prior.survival(40) - 0.01) < 1e-9)
    }

    @Test("the planner plans on the declared tail: a declared p99 lengthens the suggested grace")
    func plannerUsesTheTail() throws {
        func grace(_ declared: DeclaredDuration) throws -> Double {
            try #require(
                SnapshotPredictions(
                    samples: [:], declared: ["export": declared],
                    listed: (0..<6).map { .init(kind: "export", age: Double($0 * 3), bucket: Int64(-$0 * 3)) },
                    buckets: ["export": Dictionary(uniqueKeysWithValues: (0..<6).map { (Int64(-$0 * 3), 1) })],
                    now: 0.5, timeLeft: nil, defaultGrace: 30, priorMedian: 5
                )
                .compute().suggestedGrace)
        }
        let light = try grace(try #require(DeclaredDuration(median: .seconds(13.4), p90: .seconds(44))))
        let heavy = try grace(
            try #require(DeclaredDuration(median: .seconds(13.4), p90: .seconds(44), p99: .seconds(241))))
        #expect(heavy > light * 1.3, "\(light) s → \(heavy) s")
    }
}
