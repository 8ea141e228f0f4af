import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation
import Testing

@testable import DrainDashboard

/// How the screen shows predictions: the P(miss) column, the ETA range, the jobs likely to miss, the
/// planner, and at the end how the prediction did.
@Suite("Prediction layout")
struct PredictionLayoutTests {
    /// Draining, with the model's fields: #100 likely to miss, the e-mails not.
    static func predicted() -> PoolSnapshot {
        var s = Fixtures.snapshot(.draining)
        s.etaP50Seconds = 4.2
        s.etaP90Seconds = 11.5
        s.expectedMisses = 1.3
        s.likelyToMissCount = 1
        s.likelyToMiss = [.init(id: 100, kind: "report.export", pMiss: 0.82)]
        s.oldestJobs[0].pMiss = 0.82
        s.oldestJobs[0].predictionSource = .history
        s.oldestJobs[1].pMiss = 0.3
        for index in 2..<s.oldestJobs.count { s.oldestJobs[index].pMiss = 0.004 }
        return s
    }

    /// The jobs table's row of job `id`, without the padding to the screen's width.
    static func jobRow(_ screen: Screen, _ id: Int) -> String? {
        let prefix = String(repeating: " ", count: 9 - "#\(id)".count) + "#\(id)  "
        return screen.lines.first { $0.text.hasPrefix(prefix) }.map { trimmed($0.text) }
    }

    static func trimmed(_ text: String) -> String {
        String(text.reversed().drop { $0 == " " }.reversed())
    }

    // MARK: - While draining

    @Test("the ETA is a p50–p90 range, and the jobs likely to miss are named by kind and id")
    func etaRangeAndLikely() throws {
        let screen = Screen(Fixtures.state(Self.predicted()))
        let progress = try #require(screen.row("Drained"))
        #expect(progress.text.contains("ETA 4.2–11.5s"))
        #expect(progress.text.contains("1 likely to miss: report.export #100"))
        #expect(screen.style(of: "1 likely to miss") == .danger)
        #expect(!progress.text.contains("predicted to miss"))
    }

    @Test("the ETA range moves down between snapshots and says when its p90 or p50 is past the deadline")
    func etaPastDeadline() throws {
        var s = Self.predicted()
        let later = Screen(Fixtures.state(s), at: Fixtures.base + .seconds(2))
        #expect(later.row("Drained")?.text.contains("ETA 2.2–9.5s") == true)
        s.etaP90Seconds = nil
        #expect(Screen(Fixtures.state(s)).row("Drained")?.text.contains("ETA 4.2s–past deadline") == true)
        s.etaP50Seconds = nil
        let screen = Screen(Fixtures.state(s))
        #expect(screen.row("Drained")?.text.contains("ETA past deadline") == true)
        #expect(screen.style(of: "ETA past deadline") == .danger)
    }

    @Test("several jobs likely to miss are grouped by kind; more than the listed ones end with an ellipsis")
    func manyLikely() throws {
        var s = Self.predicted()
        s.likelyToMissCount = 4
        s.likelyToMiss = [
            .init(id: 58, kind: "report.export", pMiss: 0.9), .init(id: 70, kind: "invoice.pdf", pMiss: 0.7),
            .init(id: 61, kind: "report.export", pMiss: 0.6),
        ]
        let text = try #require(Screen(Fixtures.state(s), ScreenSize(columns: 140, rows: 30)).row("Drained")).text
        #expect(text.contains("4 likely to miss: report.export #58, #61; invoice.pdf #70 …"))
    }

    @Test("with none likely to miss, the expected count is shown when it is not negligible")
    func noneLikely() throws {
        var s = Self.predicted()
        s.likelyToMissCount = 0
        s.likelyToMiss = []
        s.expectedMisses = 0.34
        let screen = Screen(Fixtures.state(s))
        #expect(screen.contains("none likely to miss (0.3 expected)"))
        #expect(screen.style(of: "none likely") == .ok)
        s.expectedMisses = 0.01
        let text = try #require(Screen(Fixtures.state(s)).row("Drained")?.text)
        #expect(Self.trimmed(text).hasSuffix("none likely to miss"))
    }

    @Test("the P(MISS) column is coloured at 20 % and 50 %, and blank without a prediction")
    func pMissColumn() throws {
        var s = Self.predicted()
        s.oldestJobs[2].pMiss = nil
        let screen = Screen(Fixtures.state(s))
        #expect(screen.contains("P(MISS)"))
        #expect(Self.jobRow(screen, 100)?.hasSuffix("82%") == true)
        #expect(screen.style(of: "82%") == .danger)
        #expect(Self.jobRow(screen, 101)?.hasSuffix("30%") == true)
        #expect(screen.style(of: "30%") == .warning)
        #expect(Self.jobRow(screen, 103)?.hasSuffix("<1%") == true)
        #expect(screen.style(of: "<1%") == .ok)
        #expect(Self.jobRow(screen, 102)?.contains("%") == false)
        // 80 columns still fit every column.
        let narrow = Screen(Fixtures.state(s), ScreenSize(columns: 80, rows: 24))
        #expect(Self.jobRow(narrow, 100)?.hasSuffix("82%") == true)
    }

    // MARK: - Before and after

    @Test("while running, the planner says what a drain started now would do")
    func planner() throws {
        var s = Fixtures.snapshot(.running)
        s.plan = DrainPlan(
            graceSeconds: 30, etaP50Seconds: 3.1, etaP90Seconds: 9.4, expectedMisses: 0.25,
            suggestedGraceSeconds: 13.2)
        let text = try #require(Screen(Fixtures.state(s)).row("Drained")).text
        #expect(text.contains("a 30s drain now: ETA 3.1–9.4s · 0.3 expected to miss · 90 % drained in 14s"))
    }

    @Test("s offers the planner's grace, which the first digit typed replaces")
    func plannerOffer() {
        var s = Fixtures.snapshot(.running)
        s.plan = DrainPlan(
            graceSeconds: 30, etaP50Seconds: 3, etaP90Seconds: 9, expectedMisses: 0.2, suggestedGraceSeconds: 13.2)
        var state = Fixtures.state(s)
        state.suggestedGrace = nil
        _ = state.handle(.character("s"), at: Fixtures.base)
        #expect(state.mode == .askGrace("14"))
        #expect(Screen(state, ScreenSize(columns: 80, rows: 24)).contains("(the planner's, 90 % drained)? 14"))
        _ = state.handle(.enter, at: Fixtures.base)
        #expect(state.mode == .confirm(grace: 14))
        _ = state.handle(.escape, at: Fixtures.base)
        state.mode = .normal
        _ = state.handle(.character("s"), at: Fixtures.base)
        _ = state.handle(.character("2"), at: Fixtures.base)
        _ = state.handle(.character("0"), at: Fixtures.base)
        #expect(state.mode == .askGrace("20"))
        // A grace the operator configured wins over the planner's.
        state.mode = .normal
        state.suggestedGrace = 15
        _ = state.handle(.character("s"), at: Fixtures.base)
        #expect(state.mode == .askGrace("15"))
    }

    @Test("after a forced drain: 'F finished · C cancelled', and the banner says how the prediction did")
    func forcedEnd() throws {
        var state = Fixtures.state(Self.predicted())
        let report = try Fixtures.report(.forced, requeued: 2, drainSeconds: 30.4)
        var stopped = Fixtures.snapshot(.stopped)
        stopped.inFlightAtDrainStart = 20
        stopped.drainedSinceStart = 20
        stopped.report = report
        state.apply(.snapshot(stopped, session: state.session), at: Fixtures.base + .seconds(1))
        let screen = Screen(state)
        let progress = try #require(screen.row("Drained"))
        #expect(progress.text.contains("18 finished · 2 cancelled"))
        #expect(!progress.text.contains("20/20"))
        #expect(screen.style(of: "2 cancelled") == .danger)
        #expect(screen.contains("predicted 1, missed 2"))
    }

    @Test("a clean drain keeps 'n/n' and its banner says it predicted none and missed none")
    func cleanEnd() throws {
        var s = Self.predicted()
        s.expectedMisses = 0.2
        var state = Fixtures.state(s)
        let report = try Fixtures.report(.clean, requeued: 0, drainSeconds: 4)
        state.apply(.event(Fixtures.stoppedEvent(9, report), session: state.session), at: Fixtures.base)
        let screen = Screen(state)
        #expect(screen.contains("predicted 0, missed 0"))
        #expect(screen.row("Drained")?.text.contains("10/20") == true)
    }
}

/// The fast path of the wire decoder keeps every prediction field the screen shows.
@Suite("Prediction wire decoding")
struct PredictionWireTests {
    @Test("a pushed v3 snapshot with predictions keeps them")
    func fastPathKeepsPredictions() throws {
        var s = PredictionLayoutTests.predicted()
        s.kinds = []
        s.oldestJobs[1].predictionSource = .declared
        var running = Fixtures.snapshot(.running)
        running.plan = DrainPlan(
            graceSeconds: 30, etaP50Seconds: nil, etaP90Seconds: nil, expectedMisses: 2.5, suggestedGraceSeconds: nil)
        for snapshot in [s, running] {
            var decoder = WireDecoder()
            guard case .snapshot(let fast) = try decoder.decode(try WireDecoderTests.line(snapshot, version: 3)) else {
                Issue.record("expected a pushed snapshot")
                continue
            }
            #expect(fast.etaP50Seconds == snapshot.etaP50Seconds)
            #expect(fast.etaP90Seconds == snapshot.etaP90Seconds)
            #expect(fast.expectedMisses == snapshot.expectedMisses)
            #expect(fast.likelyToMissCount == snapshot.likelyToMissCount)
            #expect(fast.likelyToMiss == snapshot.likelyToMiss)
            #expect(fast.plan == snapshot.plan)
            #expect(fast.oldestJobs.map(\.pMiss) == snapshot.oldestJobs.map(\.pMiss))
            #expect(fast.oldestJobs.map(\.predictionSource) == snapshot.oldestJobs.map(\.predictionSource))
        }
    }
}
