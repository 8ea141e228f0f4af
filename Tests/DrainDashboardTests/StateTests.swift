import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation
import Testing

/// What the dashboard does with keys and with the feed, without a terminal.
@Suite("Dashboard state")
struct StateTests {
    let now = Fixtures.base

    // MARK: - Keys

    @Test("s asks the grace, confirms, then sends a shutdown with the grace typed")
    func shutdownDialogue() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        #expect(state.handle(.character("s"), at: now).isEmpty)
        #expect(state.mode == .askGrace("15"))
        _ = state.handle(.backspace, at: now)
        _ = state.handle(.backspace, at: now)
        _ = state.handle(.character("2"), at: now)
        _ = state.handle(.character("x"), at: now)
        _ = state.handle(.character("0"), at: now)
        #expect(state.handle(.enter, at: now).isEmpty)
        #expect(state.mode == .confirm(grace: 20))
        #expect(state.handle(.character("y"), at: now) == [.shutdown(Fixtures.entry, grace: 20)])
        #expect(state.mode == .normal)
    }

    @Test("an empty grace means the service's default; n and Esc send nothing")
    func shutdownDefaultsAndCancels() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        state.suggestedGrace = nil
        _ = state.handle(.character("s"), at: now)
        _ = state.handle(.enter, at: now)
        #expect(state.mode == .confirm(grace: nil))
        #expect(state.handle(.character("n"), at: now).isEmpty)
        _ = state.handle(.character("s"), at: now)
        #expect(state.handle(.escape, at: now).isEmpty)
        #expect(state.mode == .normal)
        _ = state.handle(.character("s"), at: now)
        _ = state.handle(.character("9"), at: now)
        _ = state.handle(.character("9"), at: now)
        _ = state.handle(.character("9"), at: now)
        _ = state.handle(.character("9"), at: now)
        _ = state.handle(.character("9"), at: now)
        _ = state.handle(.enter, at: now)
        #expect(state.mode == .askGrace("99999"), "a grace past 86400 s is refused")
        #expect(state.notice?.style == .danger)
    }

    @Test("s is refused once the process is forcing")
    func noShutdownWhenForcing() {
        var state = Fixtures.state(Fixtures.snapshot(.forcing))
        #expect(state.handle(.character("s"), at: now).isEmpty)
        #expect(state.mode == .normal)
        #expect(state.notice?.text.contains("already forcing") == true)
    }

    @Test("+ and - move the deadline by 10 s only while draining")
    func moveDeadline() {
        var running = Fixtures.state(Fixtures.snapshot(.running))
        #expect(running.handle(.character("+"), at: now).isEmpty)
        #expect(running.notice?.style == .warning)
        var draining = Fixtures.state(Fixtures.snapshot(.draining))
        #expect(draining.handle(.character("+"), at: now) == [.extend(Fixtures.entry, seconds: 10)])
        #expect(draining.handle(.character("-"), at: now) == [.extend(Fixtures.entry, seconds: -10)])
    }

    @Test("q quits from the dashboard, the help and the process list")
    func quit() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        #expect(state.handle(.character("q"), at: now) == [.quit])
        _ = state.handle(.character("?"), at: now)
        #expect(state.handle(.character("q"), at: now) == [.quit])
        _ = state.handle(.character("p"), at: now)
        #expect(state.handle(.character("q"), at: now) == [.quit])
    }

    @Test("j/k and arrows scroll, never above the first job")
    func scrolling() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        _ = state.handle(.character("k"), at: now)
        #expect(state.scroll == 0)
        _ = state.handle(.character("j"), at: now)
        _ = state.handle(.down, at: now)
        #expect(state.scroll == 2)
        _ = state.handle(.up, at: now)
        #expect(state.scroll == 1)
    }

    // MARK: - Processes

    @Test("tab attaches the next process and drops what the old subscription still sends")
    func tabSwitches() {
        var state = Fixtures.state(Fixtures.snapshot(.running), processes: [Fixtures.entry, Fixtures.other])
        let old = state.session
        let commands = state.handle(.tab, at: now)
        #expect(commands == [.attach(Fixtures.other, session: old + 1)])
        #expect(state.target == Fixtures.other)
        #expect(state.snapshot == nil)
        state.apply(.snapshot(Fixtures.snapshot(.draining), session: old), at: now)
        #expect(state.snapshot == nil, "a late line of the old session must not show")
        state.apply(.ended(session: old, error: "closed"), at: now)
        #expect(state.connection == .connecting)
    }

    @Test("tab with one process says so and attaches nothing")
    func tabAlone() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        #expect(state.handle(.tab, at: now).isEmpty)
        #expect(state.notice?.text.contains("no other process") == true)
    }

    @Test("a process that appears is offered, and a attaches it")
    func newProcessOffered() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        state.apply(.processes([Fixtures.entry]), at: now)
        #expect(state.offer == nil)
        state.apply(.processes([Fixtures.entry, Fixtures.other]), at: now)
        #expect(state.offer == Fixtures.other)
        #expect(Screen(state).contains("NEW PROCESS"))
        #expect(state.handle(.character("a"), at: now) == [.attach(Fixtures.other, session: 2)])
        #expect(state.offer == nil)
    }

    @Test("the process list opens at start when nothing is attached, and Enter attaches the row")
    func pickerAtStart() {
        var state = DashboardState(processes: [Fixtures.entry, Fixtures.other])
        state.mode = .picker(0)
        #expect(state.handle(.escape, at: now).isEmpty)
        #expect(state.mode == .picker(0), "nothing to go back to")
        _ = state.handle(.down, at: now)
        #expect(state.handle(.enter, at: now) == [.attach(Fixtures.other, session: 1)])
    }

    // MARK: - Feed

    @Test("a clean close without a stopped event is a lost connection")
    func closeWithoutStop() {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        state.apply(.ended(session: state.session, error: nil), at: now)
        guard case .lost = state.connection else {
            Issue.record("expected lost, got \(state.connection)")
            return
        }
    }

    @Test("a stopped event then a close is a stop, with the report's numbers")
    func stopThenClose() throws {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        let report = try Fixtures.report(.forced, requeued: 2, drainSeconds: 30)
        state.apply(.event(Fixtures.stoppedEvent(5, report), session: state.session), at: now)
        state.apply(.ended(session: state.session, error: "reset"), at: now)
        #expect(
            state.connection
                == .stopped(.init(outcome: .forced, drainSeconds: 30, completed: 1220, cancelled: 2, requeued: 2)))
    }

    @Test("events from snapshots and from the stream are merged once each, in order")
    func eventsMerged() {
        var snapshot = Fixtures.snapshot(.running)
        snapshot.recentEvents = [Fixtures.event(1, .started, "one"), Fixtures.event(2, .command, "two")]
        var state = Fixtures.state(snapshot)
        state.apply(.event(Fixtures.event(2, .command, "two"), session: state.session), at: now)
        state.apply(.event(Fixtures.event(3, .jobRequeued, "three"), session: state.session), at: now)
        state.apply(.snapshot(snapshot, session: state.session), at: now)
        #expect(state.events.map(\.seq) == [1, 2, 3])
        let screen = Screen(state)
        #expect(screen.style(of: "three") == .warning)
        #expect(screen.style(of: "two") == .dim)
    }

    @Test("in protocol v2 the log is the first snapshot's history plus each pushed event; compact snapshots keep it")
    func eventsVersion2() {
        var first = Fixtures.snapshot(.running)
        first.recentEvents = [Fixtures.event(1, .started, "one"), Fixtures.event(2, .command, "two")]
        var state = Fixtures.state(first)
        var compact = first
        compact.recentEvents = []
        state.apply(.snapshot(compact, session: state.session), at: now)
        #expect(state.events.map(\.seq) == [1, 2])
        state.apply(.event(Fixtures.event(3, .jobRequeued, "three"), session: state.session), at: now)
        state.apply(.snapshot(compact, session: state.session), at: now)
        state.apply(.event(Fixtures.event(4, .command, "four"), session: state.session), at: now)
        #expect(state.events.map(\.seq) == [1, 2, 3, 4])
        #expect(state.events.map(\.message) == ["one", "two", "three", "four"])
    }

    @Test("the sparkline keeps the peak of each second, for the last minute only")
    func history() {
        var history = InFlightHistory()
        history.record(3, at: now)
        history.record(7, at: now + .milliseconds(400))
        history.record(2, at: now + .milliseconds(900))
        history.record(5, at: now + .seconds(2))
        #expect(history.values(endingAt: now + .seconds(2), count: 3) == [7, nil, 5])
        history.record(1, at: now + .seconds(90))
        #expect(history.peak(endingAt: now + .seconds(90), count: 60) == 1)
    }

    // MARK: - Summary

    @Test("the summary after q says how it ended, and a signal gives 128 + its number")
    func summary() throws {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        let live = DashboardSummary(state: state, now: now + .seconds(1))
        #expect(live.lines.first?.contains("was DRAINING when top quit") == true)
        #expect(live.lines.first?.contains("10/20 drained, 14.0s left") == true)
        #expect(live.exitCode == 0)
        state.apply(.ended(session: state.session, error: "reset"), at: now)
        let lost = DashboardSummary(state: state, now: now, signal: SIGTERM)
        #expect(lost.lines.first?.contains("lost the connection to shop (pid 4242)") == true)
        #expect(lost.exitCode == 143)
    }

    // MARK: - Redraws and fatal lines

    @Test("clocks run while connected with a snapshot, and stop once the connection ended")
    func clocksRunning() {
        var state = Fixtures.state(nil)
        #expect(!state.clocksRunning, "nothing on screen moves before the first snapshot")
        state.apply(.snapshot(Fixtures.snapshot(.running), session: state.session), at: now)
        #expect(state.clocksRunning)
        state.apply(.ended(session: state.session, error: nil), at: now)
        #expect(!state.clocksRunning, "a kept last frame is frozen")
    }

    @Test("a protocol violation on the watched socket ends the dashboard; one from an old session does not")
    func violation() {
        var state = Fixtures.state(Fixtures.snapshot(.running))
        let old = state.session
        _ = state.attach(Fixtures.other)
        state.apply(.violation(session: old, message: "garbage"), at: now)
        #expect(state.failure == nil)
        state.apply(.violation(session: state.session, message: "it sent a line that is not protocol v1"), at: now)
        #expect(state.failure == "it sent a line that is not protocol v1")
        #expect(state.connection == .lost("it sent a line that is not protocol v1"))
        _ = state.attach(Fixtures.entry)
        #expect(state.failure == nil, "attaching elsewhere starts clean")
    }
}
