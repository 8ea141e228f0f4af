import Foundation
import Testing

@testable import Drain

@Suite("Drain forecasts")
struct DrainForecastTests {
    /// Uniform work on 0–10 s, known exactly: 1,000 samples at its quantiles, no prior.
    let uniform = DurationDistribution(
        samples: (1...1000).map { 10 * Double($0) / 1001 }, prior: DurationPrior(median: 5, sigma: 1, source: .prior),
        priorWeight: 0)
    let fallback = DurationDistribution(
        samples: [], prior: DurationPrior(median: 5, sigma: 1.5, source: .prior), priorWeight: 8)

    private func forecast(_ listed: [DrainForecast.Group], others: [DrainForecast.Group] = [], timeLeft: Double)
        -> DrainForecast
    {
        DrainForecast(
            listed: listed, others: others, distributions: ["u": uniform], fallback: fallback, timeLeft: timeLeft)
    }

    private func job(_ age: Double, kind: String = "u") -> DrainForecast.Group {
        .init(kind: kind, age: age, count: 1)
    }

    // MARK: Known distributions

    @Test("P(miss) of each job is its conditional survival at the deadline")
    func perJob() throws {
        let f = forecast([job(0), job(5), job(8)], timeLeft: 3)
        let p = f.jobs.map(\.pMiss)
        // Uniform on 0–10: at age 0, 70 % run past 3 s; at 5, 2 of 5 remaining seconds; at 8, none.
        #expect(abs(p[0] - 0.7) < 0.01)
        #expect(abs(p[1] - 0.4) < 0.01)
        #expect(p[2] < 0.01)
        #expect(abs(f.expectedMisses - p.reduce(0, +)) < 1e-9)
        #expect(f.likelyToMiss == 1)
        #expect(f.jobs.allSatisfy { $0.source == .history })
    }

    @Test("the ETA is the distribution of the last job's end: two fresh uniform jobs, p50 = 10·√0.5")
    func etaOfMaximum() throws {
        let f = forecast([job(0), job(0)], timeLeft: 60)
        let p50 = try #require(f.etaP50)
        let p90 = try #require(f.etaP90)
        #expect(abs(p50 - 10 * 0.5.squareRoot()) < 0.05)
        #expect(abs(p90 - 10 * 0.9.squareRoot()) < 0.05)
    }

    @Test("nothing in flight: the drain ends now and nothing misses")
    func empty() {
        let f = forecast([], timeLeft: 5)
        #expect(f.etaP50 == 0)
        #expect(f.etaP90 == 0)
        #expect(f.expectedMisses == 0)
        #expect(f.likelyToMiss == 0)
    }

    // MARK: Deadlines

    @Test("a deadline already passed: every job in flight misses and there is no ETA before it")
    func deadlinePassed() {
        let f = forecast([job(1), job(9)], others: [.init(kind: "u", age: 2, count: 3)], timeLeft: -0.5)
        #expect(f.jobs.allSatisfy { $0.pMiss == 1 })
        #expect(f.expectedMisses == 5)
        #expect(f.likelyToMiss == 5)
        #expect(f.etaP50 == nil)
        #expect(f.etaP90 == nil)
    }

    @Test("a grace moved while draining changes the chances and the ETA, not the jobs' curves")
    func graceMoved() throws {
        let jobs = [job(0), job(2), job(4)]
        let short = forecast(jobs, timeLeft: 2)
        let long = forecast(jobs, timeLeft: 20)
        #expect(zip(short.jobs, long.jobs).allSatisfy { $0.pMiss > $1.pMiss })
        #expect(long.expectedMisses < 0.01)
        #expect(short.etaP50 == nil)
        let p50 = try #require(long.etaP50)
        #expect(p50 > 2 && p50 < 10)
        // The median remaining time of a job does not depend on the deadline.
        #expect(short.jobs.map(\.remainingP50) == long.jobs.map(\.remainingP50))
    }

    // MARK: One model

    @Test(
        "the ETA never lies past the deadline while the expected misses say none",
        arguments: [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
    )
    func consistent(timeLeft: Double) {
        let f = forecast(
            [job(0.2), job(1), job(3), job(6), job(12, kind: "never-seen")],
            others: [.init(kind: "u", age: 0.5, count: 4)], timeLeft: timeLeft)
        if f.expectedMisses < 0.5 { #expect(f.etaP50 != nil) }
        if f.etaP50 == nil { #expect(f.expectedMisses >= 0.5) }
        if let p50 = f.etaP50, let p90 = f.etaP90 { #expect(p50 <= p90 && p90 <= timeLeft) }
    }

    @Test("a thousand jobs grouped in one bucket count like a thousand jobs listed one by one")
    func buckets() throws {
        let grouped = forecast([], others: [.init(kind: "u", age: 1, count: 1000)], timeLeft: 8)
        let listed = forecast(Array(repeating: job(1), count: 1000), timeLeft: 8)
        #expect(abs(grouped.expectedMisses - listed.expectedMisses) < 1e-6)
        #expect(grouped.likelyToMiss == listed.likelyToMiss)
        #expect(grouped.etaP50 == listed.etaP50)
        #expect(abs(grouped.expectedMisses - 1000 * 0.1 / 0.9) < 2)
    }

    @Test("a kind never seen is predicted from the pool prior, and says so")
    func unknownKind() {
        let f = forecast([job(0, kind: "new")], timeLeft: 5)
        #expect(f.jobs[0].source == .prior)
        #expect(abs(f.jobs[0].pMiss - 0.5) < 1e-6)
    }

    @Test("the planner's grace for 90 % is where the ETA's p90 lies without a deadline")
    func plannerGrace() throws {
        let f = forecast([job(0), job(0)], timeLeft: 3)
        #expect(f.etaP90 == nil)
        let grace = try #require(f.eta(quantile: 0.9, within: DrainForecast.horizon))
        #expect(abs(grace - 10 * 0.9.squareRoot()) < 0.05)
    }
}
