import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation
import Testing

/// The overview's state: rows, endings, the merged log, keys, and the drill-down of ``TopScreen``.
@Suite("Overview state")
struct OverviewStateTests {
    // MARK: - Rows

    @Test("one row per process, each with a subscription of its own outside the single screen's sessions")
    func rowsAndFollows() {
        let state = OverviewState(processes: (0..<3).map(OverviewFixtures.entry))
        #expect(state.rows.map(\.entry) == (0..<3).map(OverviewFixtures.entry))
        let sessions = state.follows.compactMap { command -> Int? in
            guard case .follow(_, let session) = command else { return nil }
            return session
        }
        #expect(Set(sessions).count == 3)
        #expect(sessions.allSatisfy { $0 >= OverviewState.firstSession })
    }

    @Test("a process that appears gets a row and a subscription; one already there gets neither")
    func newProcess() {
        var state = OverviewFixtures.state(2)
        let third = OverviewFixtures.entry(2)
        let commands = state.apply(.processes([OverviewFixtures.entry(0), third]), at: Fixtures.base)
        #expect(state.rows.count == 3)
        #expect(commands == [.follow(third, session: state.rows[2].session)])
        #expect(state.apply(.processes([third]), at: Fixtures.base).isEmpty)
        // A process gone from the run directory keeps its row.
        #expect(state.rows.count == 3)
    }

    @Test("updates of another session, such as the single screen's, change no row")
    func foreignSessions() {
        var state = OverviewFixtures.state(1)
        _ = state.apply(.snapshot(OverviewFixtures.snapshot(0, .forcing), session: 1), at: Fixtures.base)
        _ = state.apply(.ended(session: 1, error: "gone"), at: Fixtures.base)
        #expect(state.rows[0].snapshot?.phase == .running)
        #expect(state.rows[0].status == .live)
    }

    // MARK: - Endings

    @Test("a process that stops keeps its row with its outcome; one whose connection ends first is lost")
    func endings() throws {
        var state = OverviewFixtures.state(2, phase: { _ in .draining })
        let report = try Fixtures.report(.forced, requeued: 3, drainSeconds: 5)
        _ = state.apply(
            .event(Fixtures.stoppedEvent(9, report), session: OverviewFixtures.session(state, 0)), at: Fixtures.base)
        _ = state.apply(.ended(session: OverviewFixtures.session(state, 0), error: nil), at: Fixtures.base)
        _ = state.apply(.ended(session: OverviewFixtures.session(state, 1), error: nil), at: Fixtures.base)
        #expect(state.rows[0].status == .stopped(DashboardState.StopSummary(report)))
        guard case .lost = state.rows[1].status else {
            Issue.record("expected lost, got \(state.rows[1].status)")
            return
        }
        #expect(!state.clocksRunning)
        let totals = OverviewTotals(state.rows)
        #expect(totals.stoppedForced == 1 && totals.lost == 1 && totals.inFlight == 0)
    }

    @Test("a row's countdown moves on the monotonic clock and stops when its connection ends")
    func countdownStops() {
        var state = OverviewFixtures.state(1, phase: { _ in .draining })
        #expect(state.rows[0].secondsLeft(at: Fixtures.base + .seconds(4)) == 11)
        _ = state.apply(.ended(session: OverviewFixtures.session(state, 0), error: "killed"), at: Fixtures.base)
        #expect(state.rows[0].secondsLeft(at: Fixtures.base + .seconds(4)) == nil)
    }

    // MARK: - The merged log

    @Test("events of every process in one log, in time order, each once, tagged with its process")
    func mergedLog() {
        var state = OverviewFixtures.state(2)
        let first = OverviewFixtures.session(state, 0)
        let second = OverviewFixtures.session(state, 1)
        _ = state.apply(.event(Fixtures.event(1, .started, "shop up"), session: first), at: Fixtures.base)
        _ = state.apply(.event(Fixtures.event(3, .command, "shop later"), session: first), at: Fixtures.base)
        // The second process's event happened between the two, but arrives last.
        _ = state.apply(.event(Fixtures.event(2, .started, "mailer up"), session: second), at: Fixtures.base)
        // A snapshot repeats events already seen: they are not logged twice.
        var snapshot = OverviewFixtures.snapshot(0, .running)
        snapshot.recentEvents = [Fixtures.event(1, .started, "shop up"), Fixtures.event(3, .command, "shop later")]
        _ = state.apply(.snapshot(snapshot, session: first), at: Fixtures.base)
        #expect(state.events.map(\.event.message) == ["shop up", "mailer up", "shop later"])
        #expect(state.events.map(\.process.name) == ["shop", "mailer", "shop"])
    }

    // MARK: - Keys

    @Test("↑↓ select within the rows, s asks the grace and confirms a shutdown of the selected process")
    func shutdownSelected() {
        var state = OverviewFixtures.state(3)
        _ = state.handle(.down, at: Fixtures.base)
        _ = state.handle(.down, at: Fixtures.base)
        _ = state.handle(.down, at: Fixtures.base)
        #expect(state.selected == 2)
        _ = state.handle(.up, at: Fixtures.base)
        #expect(state.handle(.character("s"), at: Fixtures.base).isEmpty)
        #expect(state.mode == .askGrace("15"))
        _ = state.handle(.backspace, at: Fixtures.base)
        _ = state.handle(.backspace, at: Fixtures.base)
        _ = state.handle(.character("5"), at: Fixtures.base)
        _ = state.handle(.enter, at: Fixtures.base)
        #expect(state.mode == .confirm(grace: 5))
        #expect(state.handle(.character("y"), at: Fixtures.base) == [.shutdown(OverviewFixtures.entry(1), grace: 5)])
    }

    @Test("s on a lost process sends nothing and says why")
    func shutdownLost() {
        var state = OverviewFixtures.state(1)
        _ = state.apply(.ended(session: OverviewFixtures.session(state, 0), error: nil), at: Fixtures.base)
        #expect(state.handle(.character("s"), at: Fixtures.base).isEmpty)
        #expect(state.mode == .normal)
        #expect(state.notice?.text.contains("not connected") == true)
    }

    // MARK: - Drill-down

    @Test("Enter opens the selected process on the single screen, Esc comes back to the overview on its row")
    func drillDown() {
        let overview = OverviewFixtures.state(3)
        var screen = TopScreen(overview: overview, detail: DashboardState(processes: overview.rows.map(\.entry)))
        _ = screen.handle(.down, at: Fixtures.base)
        let commands = screen.handle(.enter, at: Fixtures.base)
        #expect(screen.view == .detail)
        #expect(screen.detail.target == OverviewFixtures.entry(1))
        #expect(commands == [.feed(.attach(OverviewFixtures.entry(1), session: screen.detail.session))])
        // The single screen's own keys still work there.
        _ = screen.handle(.character("?"), at: Fixtures.base)
        #expect(screen.detail.mode == .help)
        _ = screen.handle(.escape, at: Fixtures.base)
        #expect(screen.view == .detail, "Esc closes the help first")
        _ = screen.handle(.escape, at: Fixtures.base)
        #expect(screen.view == .overview)
        #expect(screen.overview?.selected == 1)
        // Opening the same process again needs no new subscription.
        #expect(screen.handle(.enter, at: Fixtures.base).isEmpty)
    }

    @Test("q quits from either screen")
    func quit() {
        let overview = OverviewFixtures.state(2)
        var screen = TopScreen(overview: overview, detail: DashboardState(processes: []))
        #expect(screen.handle(.character("q"), at: Fixtures.base) == [.quit])
        _ = screen.handle(.enter, at: Fixtures.base)
        #expect(screen.handle(.character("q"), at: Fixtures.base) == [.quit])
    }

    @Test("with an overview, a single screen's protocol violation does not end top")
    func violationInDetail() {
        let overview = OverviewFixtures.state(2)
        var screen = TopScreen(overview: overview, detail: DashboardState(processes: []))
        _ = screen.handle(.enter, at: Fixtures.base)
        _ = screen.apply(.violation(session: screen.detail.session, message: "garbage"), at: Fixtures.base)
        #expect(screen.failure == nil)
        var single = TopScreen(detail: Fixtures.state(nil))
        _ = single.apply(.violation(session: single.detail.session, message: "garbage"), at: Fixtures.base)
        #expect(single.failure == "garbage")
    }
}
