import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation
import Testing

/// The overview rendered to text: sizes, rows, countdowns, endings and scrolling.
@Suite("Overview layout")
struct OverviewLayoutTests {
    static let small = ScreenSize(columns: 80, rows: 24)
    static let large = ScreenSize(columns: 160, rows: 50)

    // MARK: - Sizes and counts

    @Test(
        "every row exactly as wide as the screen, a row per process that fits, totals, log and keys",
        arguments: [(small, 1), (small, 3), (small, 40), (large, 1), (large, 3), (large, 40)])
    func sizes(size: ScreenSize, count: Int) {
        let state = OverviewFixtures.state(count, phase: { $0 % 2 == 0 ? .draining : .running })
        let screen = OverviewScreen(state, size)
        #expect(screen.lines.count == size.rows)
        #expect(screen.lines.allSatisfy { $0.width == size.columns && $0.text.count == size.columns })
        let shown = (0..<count).filter { screen.row(of: OverviewFixtures.entry($0)) != nil }
        let fits = OverviewLayout.processRows(state: state, size: size)
        #expect(shown.count == min(count, fits))
        #expect(shown == Array(0..<shown.count), "the first rows, in order")
        #expect(screen.contains("TOTAL"))
        #expect(screen.contains("Events of every process"))
        #expect(screen.lines.last?.text.contains("Enter open") == true)
        #expect(screen.lines[0].text.contains("\(count) process\(count == 1 ? "" : "es")"))
        // Wide screens add the counters; narrow ones leave them out rather than wrap.
        #expect(screen.contains("COMPLETED") == (size.columns >= 120))
        if count == 40 {
            #expect(fits < 40)
            #expect(screen.contains("1–\(fits)/40"), "the scroll position is shown")
        }
    }

    @Test("40 processes scroll: selecting the last shows it and the rows just before it")
    func scrolling() {
        var state = OverviewFixtures.state(40)
        for _ in 0..<39 { _ = state.handle(.down, at: Fixtures.base) }
        let fits = OverviewLayout.processRows(state: state, size: Self.small)
        let screen = OverviewScreen(state, Self.small)
        let last = OverviewFixtures.entry(39)
        #expect(screen.row(of: last)?.text.hasPrefix("▸") == true)
        #expect(screen.row(of: OverviewFixtures.entry(40 - fits)) != nil)
        #expect(screen.row(of: OverviewFixtures.entry(39 - fits)) == nil)
        #expect(screen.contains("\(40 - fits + 1)–40/40"))
        _ = state.handle(.home, at: Fixtures.base)
        #expect(OverviewScreen(state, Self.small).row(of: OverviewFixtures.entry(0)) != nil)
    }

    // MARK: - A row

    @Test("a draining row: the phase in its colour, in flight, a countdown bar with seconds left, drained, ETA, misses")
    func drainingRow() throws {
        let state = OverviewFixtures.state(3, phase: { $0 == 1 ? .draining : .running })
        let screen = OverviewScreen(state, Self.small, at: Fixtures.base + .seconds(3))
        let row = try #require(screen.row(of: OverviewFixtures.entry(1)))
        #expect(screen.style(of: "DRAINING", in: row) == .warning)
        #expect(row.text.contains("2/8"))
        #expect(row.text.contains("12.0s"), "15 s left at the snapshot, 3 s later: \(row.text)")
        #expect(row.text.contains("10/20"))
        #expect(row.text.contains("9.0s"), "the ETA moves too: \(row.text)")
        let filled = row.text.filter { "█▉▊▋▌▍▎▏".contains($0) }.count
        let empty = row.text.filter { $0 == "░" }.count
        #expect(filled > 0 && empty > 0 && filled <= empty + 1, "12 of 30 s left: \(row.text)")
        let running = try #require(screen.row(of: OverviewFixtures.entry(0)))
        #expect(screen.style(of: "RUNNING", in: running) == .ok)
        #expect(!running.text.contains("░"))
        #expect(screen.lines[0].text.contains("2 running") && screen.lines[0].text.contains("1 draining"))
    }

    @Test("stopped and lost rows stay, with the outcome or the loss, and the header counts them")
    func endedRows() throws {
        var state = OverviewFixtures.state(3, phase: { _ in .draining })
        let report = try Fixtures.report(.clean, requeued: 0, drainSeconds: 7.42)
        _ = state.apply(
            .event(Fixtures.stoppedEvent(9, report), session: OverviewFixtures.session(state, 0)), at: Fixtures.base)
        _ = state.apply(.ended(session: OverviewFixtures.session(state, 1), error: "reset by peer"), at: Fixtures.base)
        let screen = OverviewScreen(state, Self.large)
        let stopped = try #require(screen.row(of: OverviewFixtures.entry(0)))
        #expect(screen.style(of: "STOPPED", in: stopped) == .ok)
        #expect(stopped.text.contains("clean in 7.42s"))
        let lost = try #require(screen.row(of: OverviewFixtures.entry(1)))
        #expect(screen.style(of: "LOST", in: lost) == .danger)
        #expect(lost.text.contains("reset by peer"))
        #expect(screen.lines[0].text.contains("1 stopped clean"))
        #expect(screen.lines[0].text.contains("1 lost"))
        #expect(OverviewLayout.title(state: state) == "drainctl: 3 processes, 1 draining, 1 lost")
        // Only the process still draining counts in flight in the totals.
        let totals = try #require(screen.lines.first { $0.text.hasPrefix(" TOTAL") })
        #expect(totals.text.split(separator: " ").contains("3"), "\(totals.text)")
    }

    @Test("the merged log tags each event with its process")
    func taggedLog() {
        var state = OverviewFixtures.state(2)
        _ = state.apply(
            .event(
                Fixtures.event(1, .phaseChanged, "drain started by SIGTERM", phase: .draining),
                session: OverviewFixtures.session(state, 1)), at: Fixtures.base)
        let screen = OverviewScreen(state, Self.small)
        let line = screen.lines.first { $0.text.contains("drain started by SIGTERM") }
        #expect(line?.text.contains("mailer 1001") == true)
    }

    @Test("the shutdown dialogue names the selected process")
    func dialogue() {
        var state = OverviewFixtures.state(2)
        _ = state.handle(.down, at: Fixtures.base)
        _ = state.handle(.character("s"), at: Fixtures.base)
        _ = state.handle(.enter, at: Fixtures.base)
        let screen = OverviewScreen(state, Self.small)
        #expect(screen.lines.last?.text.contains("Drain mailer (pid 1001) with a 15s grace?") == true)
    }

    @Test("too small a terminal gets the notice")
    func tooSmall() {
        let screen = OverviewScreen(OverviewFixtures.state(3), ScreenSize(columns: 50, rows: 10))
        #expect(screen.contains("Terminal too small"))
        #expect(screen.lines.count == 10)
    }
}
