import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation
import Testing

/// The key states of the dashboard, rendered to text without a terminal.
@Suite("Dashboard layout")
struct LayoutTests {
    // MARK: - Phases

    @Test("running: name, pid, RUNNING in the healthy style, the counters, and no deadline")
    func running() {
        let screen = Screen(Fixtures.state(Fixtures.snapshot(.running)))
        #expect(screen.lines[0].text.hasPrefix(" shop "))
        #expect(screen.contains("pid 4242"))
        #expect(screen.style(of: "RUNNING") == .ok)
        #expect(screen.contains("up 2m13s"))
        #expect(screen.contains("none: not draining"))
        #expect(screen.row("Drained")?.text.contains("not draining") == true)
        #expect(screen.row("In flight")?.text.contains("6/8") == true)
        #expect(screen.row("Completed")?.text.contains("1,204") == true)
        #expect(screen.style(of: "Failed") == .dim)
        #expect(!screen.contains("STOPPED"))
    }

    @Test("a shared journal that does not answer: the queued count says db down, in the danger style")
    func journalUnreachable() {
        var snapshot = Fixtures.snapshot(.running)
        snapshot.journalReachable = false
        let screen = Screen(Fixtures.state(snapshot))
        #expect(screen.row("In flight")?.text.contains("db down") == true)
        #expect(screen.style(of: "db down") == .danger)
        snapshot.journalReachable = true
        #expect(!Screen(Fixtures.state(snapshot)).contains("db down"))
    }

    @Test("a shared journal's jobs waiting for rescue: said beside the sparkline, in the danger style; none, nothing")
    func waitingForRescue() {
        var snapshot = Fixtures.snapshot(.running)
        snapshot.journalReachable = true
        snapshot.waitingForRescue = 3
        let screen = Screen(Fixtures.state(snapshot))
        #expect(screen.contains("3 waiting for rescue"))
        #expect(screen.style(of: "3 waiting for rescue") == .danger)
        snapshot.waitingForRescue = 0
        #expect(!Screen(Fixtures.state(snapshot)).contains("waiting for rescue"))
    }

    @Test("lame duck: LAME DUCK, not ready, still no deadline")
    func lameDuck() {
        let screen = Screen(Fixtures.state(Fixtures.snapshot(.lameDuck)))
        #expect(screen.style(of: "LAME DUCK") == .info)
        #expect(screen.contains("not ready"))
        #expect(screen.contains("lame duck: not ready, still working"))
    }

    @Test("draining at half way: who started it, time left, a half-empty bar, 10/20 drained, ETA and misses")
    func drainingHalfWay() throws {
        let screen = Screen(Fixtures.state(Fixtures.snapshot(.draining)))
        #expect(screen.style(of: "DRAINING") == .warning)
        #expect(screen.contains("started by SIGTERM"))
        let deadline = try #require(screen.row("Deadline"))
        #expect(deadline.text.contains("grace 30s"))
        #expect(deadline.text.contains("15.0s left"))
        // Half the grace is left: the filled part of the bar is half of the bar.
        let filled = deadline.text.filter { "█▏▎▍▌▋▊▉".contains($0) }.count
        let empty = deadline.text.filter { $0 == "░" }.count
        #expect(abs(filled - empty) <= 1, "filled \(filled), empty \(empty)")
        let progress = try #require(screen.row("Drained"))
        #expect(progress.text.contains("10/20"))
        #expect(progress.text.contains("ETA 12.0s"))
        #expect(progress.text.contains("1 predicted to miss the deadline"))
        #expect(screen.style(of: "1 predicted to miss") == .danger)
    }

    @Test("forcing: the deadline has passed, in the danger style")
    func forcing() {
        let screen = Screen(Fixtures.state(Fixtures.snapshot(.forcing)))
        #expect(screen.style(of: "FORCING") == .danger)
        #expect(screen.style(of: "passed: cancelling") == .danger)
        #expect(!screen.contains("left"))
    }

    // MARK: - Endings

    @Test("stopped clean: the last frame stays, with a banner giving the drain time and requeued count")
    func stoppedClean() throws {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        let report = try Fixtures.report(.clean, requeued: 0, drainSeconds: 7.42)
        state.apply(.event(Fixtures.stoppedEvent(9, report), session: state.session), at: Fixtures.base + .seconds(1))
        state.apply(.ended(session: state.session, error: nil), at: Fixtures.base + .seconds(1))
        let screen = Screen(state, at: Fixtures.base + .seconds(5))
        #expect(screen.style(of: "STOPPED CLEAN") == .okBanner)
        #expect(screen.contains("drained in 7.42s"))
        #expect(screen.contains("0 requeued"))
        #expect(!screen.contains("CONNECTION LOST"))
        // The last frame is kept under the banner.
        #expect(screen.contains("10/20"))
        #expect(DashboardLayout.title(state: state, now: Fixtures.base) == "drainctl: shop stopped clean")
    }

    @Test("stopped forced: a danger banner with the requeued count")
    func stoppedForced() throws {
        var state = Fixtures.state(Fixtures.snapshot(.forcing))
        let report = try Fixtures.report(.forced, requeued: 3, drainSeconds: 30.01)
        state.apply(.event(Fixtures.stoppedEvent(9, report), session: state.session), at: Fixtures.base)
        let screen = Screen(state)
        #expect(screen.style(of: "STOPPED FORCED") == .dangerBanner)
        #expect(screen.contains("drained in 30.01s"))
        #expect(screen.contains("3 requeued"))
    }

    @Test("connection lost: no stopped event, so a CONNECTION LOST banner, not a stop")
    func connectionLost() {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        state.apply(.ended(session: state.session, error: "connection reset by peer"), at: Fixtures.base + .seconds(2))
        let screen = Screen(state, at: Fixtures.base + .seconds(10))
        #expect(screen.style(of: "CONNECTION LOST") == .dangerBanner)
        #expect(screen.contains("went away without reporting that it stopped"))
        #expect(screen.contains("connection reset by peer"))
        #expect(!screen.contains("STOPPED"))
        // The clock stopped when the connection did: 15 s left minus the 2 s it lasted.
        #expect(screen.row("Deadline")?.text.contains("13.0s left") == true)
    }

    // MARK: - Sizes

    @Test("80×24: 24 rows of exactly 80 columns, every part present, the keys on the last row")
    func standardTerminal() {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        state.apply(
            .event(
                Fixtures.event(1, .phaseChanged, "drain started by SIGTERM, grace 30s", phase: .draining),
                session: state.session), at: Fixtures.base)
        let screen = Screen(state, ScreenSize(columns: 80, rows: 24))
        #expect(screen.lines.count == 24)
        #expect(screen.lines.allSatisfy { $0.width == 80 && $0.text.count == 80 })
        for part in [
            "DRAINING", "left", "10/20", "ETA", "Queued", "Recovered", "peak", "Jobs in flight", "#100",
            "report.export", "Events", "drain started by SIGTERM",
        ] {
            #expect(screen.contains(part), "missing \(part)")
        }
        #expect(screen.lines[23].text.contains("q quit"))
        #expect(screen.lines[23].text.contains("? help"))
    }

    @Test(
        "a terminal too small gets a notice that fits, not a clipped dashboard",
        arguments: [
            ScreenSize(columns: 40, rows: 10), ScreenSize(columns: 59, rows: 30), ScreenSize(columns: 120, rows: 15),
            ScreenSize(columns: 12, rows: 3), ScreenSize(columns: 0, rows: 0),
        ])
    func tinyTerminal(size: ScreenSize) {
        let screen = Screen(Fixtures.state(Fixtures.snapshot(.draining)), size)
        #expect(screen.lines.count == size.rows)
        #expect(screen.lines.allSatisfy { $0.width == size.columns })
        #expect(!screen.contains("DRAINING"))
        if size.rows >= 3, size.columns >= 18 { #expect(screen.contains("Terminal too small")) }
    }

    // MARK: - Moving parts

    @Test("the countdown moves between snapshots on the monotonic clock")
    func smoothCountdown() {
        let state = Fixtures.state(Fixtures.snapshot(.draining))
        #expect(
            Screen(state, at: Fixtures.base + .milliseconds(2500)).row("Deadline")?.text.contains("12.5s left") == true)
        #expect(
            DashboardLayout.title(state: state, now: Fixtures.base + .seconds(5)) == "drainctl: shop DRAINING 10s left")
    }

    @Test(
        "the countdown bar is healthy, then yellow, then red near the deadline",
        arguments: [
            (25.0, Style.ok), (10.0, Style.warning), (3.0, Style.danger),
        ])
    func countdownColours(left: Double, style: Style) {
        var snapshot = Fixtures.snapshot(.draining)
        snapshot.secondsLeft = left
        let screen = Screen(Fixtures.state(snapshot))
        #expect(screen.style(of: "█") == style)
        #expect(screen.style(of: String(format: "%.1fs left", left)) == style)
    }

    @Test("jobs: oldest first, scrolled by the state, and never past the last full page")
    func jobsScroll() {
        var snapshot = Fixtures.snapshot(.running)
        snapshot.oldestJobs = (1...40).map {
            PoolSnapshot.InFlightJob(
                id: JobID($0), kind: "email.send", ageSeconds: Double(100 - $0), predictedRemainingSeconds: 1)
        }
        snapshot.inFlightJobs = 120
        var state = Fixtures.state(snapshot)
        let size = ScreenSize(columns: 100, rows: 30)
        let rows = DashboardLayout.jobRows(state: state, size: size)
        #expect(Screen(state, size).contains("the 40 oldest of 120"))
        #expect(Screen(state, size).row("#1 ") != nil)
        state.scroll = 5
        #expect(Screen(state, size).row("#6 ") != nil)
        #expect(Screen(state, size).row("#5 ") == nil)
        state.scroll = 1000
        let last = Screen(state, size)
        #expect(last.row("#40 ") != nil)
        #expect(last.row("#\(40 - rows) ") == nil)
        #expect(last.row("#\(41 - rows) ") != nil)
    }

    @Test("a job predicted to outlive the deadline is flagged")
    func predictedMiss() {
        let screen = Screen(Fixtures.state(Fixtures.snapshot(.draining)))
        #expect(screen.row("#100")?.text.contains("past deadline") == true)
        #expect(screen.row("#101")?.text.contains("past deadline") == false)
    }

    @Test("the grace dialogue and the confirmation replace the keys in the footer")
    func dialogues() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        _ = state.handle(.character("s"), at: Fixtures.base)
        #expect(Screen(state).lines.last?.text.contains("grace in seconds") == true)
        #expect(Screen(state).lines.last?.text.contains("15") == true)
        _ = state.handle(.enter, at: Fixtures.base)
        #expect(Screen(state).lines.last?.text.contains("Drain shop (pid 4242) with a 15s grace?") == true)
    }

    @Test("help and the process list are drawn over the jobs")
    func overlays() {
        var state = Fixtures.state(Fixtures.snapshot(.running), processes: [Fixtures.entry, Fixtures.other])
        _ = state.handle(.character("?"), at: Fixtures.base)
        #expect(Screen(state).contains("KEYS"))
        _ = state.handle(.character("x"), at: Fixtures.base)
        #expect(!Screen(state).contains("KEYS"))
        let picks = state.handle(.character("p"), at: Fixtures.base)
        #expect(picks == [.refreshStatuses([Fixtures.entry, Fixtures.other])])
        var other = Fixtures.snapshot(.draining)
        other.name = "mailer"
        state.apply(.processStatus(Fixtures.other, other), at: Fixtures.base)
        let screen = Screen(state)
        #expect(screen.contains("PROCESSES"))
        #expect(screen.row("mailer        ")?.text.contains("DRAINING") == true)
        #expect(screen.row("* shop")?.text.contains("RUNNING") == true)
        #expect(screen.contains("▸shop 4242"))
    }
}
