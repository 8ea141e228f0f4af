import DrainDashboard
import DrainFleet
import DrainProtocol
import Foundation
import Testing

/// The fleet screen of `top --postgres`, from hand-made reads of the journal.
@Suite("Fleet layout")
struct FleetLayoutTests {
    static func worker(
        _ n: Int, host: String = "host-a", phase: DrainPhase = .running, silence: Double = 0.2,
        secondsLeft: Double? = nil, running: Int = 1, deadFor: Double? = nil
    ) -> FleetWorker {
        FleetWorker(
            id: "id-\(n)", name: "web-\(n)", host: host, pid: Int32(100 + n), phase: phase, inFlight: running,
            drained: secondsLeft == nil ? nil : 4, secondsLeft: secondsLeft, silence: silence, lease: 5,
            deadFor: deadFor, running: running)
    }

    static let time = Date(timeIntervalSince1970: 1_700_000_000)

    static func state(_ reads: [[FleetWorker]], handoffs: [HandoffTracker.Handoff] = []) -> FleetState {
        var state = FleetState(source: "postgres://db/jobs schema drain")
        for (index, workers) in reads.enumerated() {
            state.apply(
                .read(FleetSnapshot(workers: workers, queued: 7, running: [:]), handoffs: handoffs, time: Self.time),
                at: Fixtures.base + .seconds(index))
        }
        return state
    }

    static func text(_ state: FleetState, _ size: ScreenSize = ScreenSize(columns: 120, rows: 30)) -> [String] {
        FleetLayout.render(state: state, size: size, now: Fixtures.base + .seconds(1)).map(\.text)
    }

    @Test("a row per worker with its host; a draining one with its countdown, a silent one lost with its rescue time")
    func rows() throws {
        let state = Self.state([
            [
                Self.worker(1), Self.worker(2, phase: .draining, secondsLeft: 8),
                Self.worker(3, host: "host-b", silence: 4),
            ]
        ])
        let lines = Self.text(state)
        #expect(lines.allSatisfy { $0.count == 120 })
        #expect(lines.count == 30)
        #expect(lines[0].contains("3 workers on 2 hosts: 1 running, 1 draining, 1 lost; 7 queued"))
        let web2 = try #require(lines.first { $0.contains("web-2") })
        #expect(web2.contains("DRAINING") && web2.contains("host-a"))
        #expect(web2.contains("7.0s"), "8 s left at the read, a second before this frame: \(web2)")
        let web3 = try #require(lines.first { $0.contains("web-3") })
        #expect(web3.contains("host-b") && web3.contains("LOST"))
        // Silent 4 s of a 5 s lease at the read, a second before this frame: rescue due now.
        #expect(web3.contains("1 job, rescue due"), "\(web3)")
        #expect(
            lines.contains {
                $0.contains("TOTAL") && $0.contains("shared queue 7") && $0.contains("1 waiting for rescue")
            })
    }

    @Test("the rescue countdown moves between reads, then a dead worker reads as rescued, and the log says so")
    func rescue() throws {
        let first = Self.state([[Self.worker(1), Self.worker(3, silence: 3)]])
        let screen = FleetLayout.render(state: first, size: ScreenSize(columns: 120, rows: 30), now: Fixtures.base)
        #expect(screen.contains { $0.text.contains("web-3") && $0.text.contains("rescue in 2.0s") })
        let later = Self.state([
            [Self.worker(1), Self.worker(3)], [Self.worker(1), Self.worker(3, silence: 3)],
            [Self.worker(1), Self.worker(3, silence: 6, running: 0, deadFor: 1)],
        ])
        let lines = Self.text(later)
        #expect(
            lines.contains { $0.contains("web-3") && $0.contains("RESCUED") && $0.contains("its jobs were rescued") })
        #expect(lines.contains { $0.contains("web-3 on host-a (pid 103) is lost") })
        #expect(lines.contains { $0.contains("web-3 on host-a (pid 103) was found dead") })
    }

    @Test("hand-offs read as who requeued how many and who took them, by name")
    func handoffs() {
        let handoff = HandoffTracker.Handoff(from: "id-3", requeued: 12, takenBy: ["id-1": 7, "id-2": 5])
        let state = Self.state(
            [[Self.worker(1), Self.worker(2), Self.worker(3, phase: .stopped)]], handoffs: [handoff])
        let lines = Self.text(state)
        #expect(lines.contains { $0.contains("─ Hand-offs") })
        #expect(lines.contains { $0.contains("web-3 requeued 12 → taken by web-1 (7), web-2 (5)") })
    }

    @Test("a rescued worker's row shows nothing in flight, and its hand-off reads rescued, not requeued")
    func rescuedHandoff() throws {
        var dead = Self.worker(3, silence: 6, running: 0, deadFor: 1)
        dead.inFlight = 6
        let handoffs = [
            HandoffTracker.Handoff(from: "id-3", requeued: 6, takenBy: ["id-1": 6]),
            HandoffTracker.Handoff(from: "id-2", requeued: 2, takenBy: ["id-1": 2]),
        ]
        let state = Self.state(
            [[Self.worker(1), Self.worker(2, phase: .stopped, running: 0), dead]], handoffs: handoffs)
        let lines = Self.text(state)
        let row = try #require(lines.first { $0.contains("web-3") && $0.contains("RESCUED") })
        #expect(row.firstMatch(of: /RESCUED +0\s/) != nil, "a dead worker runs nothing: \(row)")
        #expect(lines.contains { $0.contains("web-3 rescued 6 → taken by web-1 (6)") }, "\(lines)")
        #expect(lines.contains { $0.contains("web-2 requeued 2 → taken by web-1 (2)") }, "drained, not killed")
    }

    @Test("a worker whose sessions closed is lost at once, before half its lease, its jobs waiting for rescue")
    func goneAtOnce() throws {
        var gone = Self.worker(3, silence: 0.3, running: 2)
        gone.gone = true
        let lines = Self.text(Self.state([[Self.worker(1), gone]]))
        let row = try #require(lines.first { $0.contains("web-3") })
        #expect(row.contains("LOST"), "\(row)")
        #expect(lines[0].contains("7 queued, 2 waiting for rescue"), "\(lines[0])")
        #expect(lines.contains { $0.contains("TOTAL") && $0.contains("2 waiting for rescue") })
        #expect(FleetText.detail(gone).hasPrefix("process gone: 2 jobs wait for rescue"), "\(FleetText.detail(gone))")
    }

    @Test(
        "a failed read is shown in the header, and the rows stay until the next read",
        arguments: [
            ScreenSize(columns: 80, rows: 24), ScreenSize(columns: 160, rows: 50),
        ])
    func failedRead(size: ScreenSize) {
        var state = Self.state([[Self.worker(1)]])
        state.apply(.failed("cannot connect to postgres://db/jobs: connection refused"), at: Fixtures.base)
        let lines = Self.text(state, size)
        #expect(lines.count == size.rows && lines.allSatisfy { $0.count == size.columns })
        #expect(lines[0].contains("connection refused") || size.columns < 120)
        #expect(lines.contains { $0.contains("web-1") })
        #expect(state.error != nil)
    }

    // MARK: - Goldens

    static let goldens = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    /// Five workers on two hosts: running, draining half way, stopped with its drain kept (#42), stopped
    /// without one known (a build before the history, or not recorded yet), and lost; one hand-off.
    static var goldenState: FleetState {
        var draining = worker(2, phase: .draining, secondsLeft: 8, running: 2)
        draining.drain = FleetWorker.Drain(
            graceSeconds: 20, total: 6, etaP50Seconds: 2.5, etaP90Seconds: 6, expectedMisses: 0.4)
        var drained = worker(3, host: "host-b", phase: .stopped, running: 0)
        drained.drainID = 42
        let handoff = HandoffTracker.Handoff(from: "id-3", requeued: 2, takenBy: ["id-1": 2])
        let others = [
            worker(4, host: "host-b", phase: .stopped, running: 0), worker(5, host: "host-b", silence: 3, running: 2),
        ]
        // web-3 was draining at the read before: the log says it stopped, and names its drain.
        return state(
            [
                [worker(1, running: 3), draining, worker(3, host: "host-b", phase: .draining, secondsLeft: 1)] + others,
                [worker(1, running: 3), draining, drained] + others,
            ], handoffs: [handoff])
    }

    @Test(
        "the fleet screen at 80×24 and 160×50 matches its golden, a stopped worker's row naming its drain",
        arguments: [ScreenSize(columns: 80, rows: 24), ScreenSize(columns: 160, rows: 50)])
    func golden(size: ScreenSize) throws {
        // The log's clock is local time: masked, so the golden holds in every time zone.
        let lines = Self.text(Self.goldenState, size).map { $0.replacing(/^ \d\d:\d\d:\d\d(?=  )/, with: " hh:mm:ss") }
        #expect(lines.count == size.rows && lines.allSatisfy { $0.count == size.columns })
        let row = try #require(lines.first { $0.contains("web-3") })
        #expect(row.contains("STOPPED") && row.contains("drain #42 · drainctl report 42"), "\(row)")
        let other = try #require(lines.first { $0.contains("web-4") })
        #expect(other.contains("STOPPED") && !other.contains("drain #"), "\(other)")
        #expect(lines.contains { $0.contains("web-3 on host-b (pid 103) stopped: drain #42 · drainctl report 42") })
        try TimelineLayoutTests.check(lines, golden: "fleet-\(size.columns).txt", in: Self.goldens)
    }

    @Test("ls and status name a stopped worker's drain the same way")
    func drainInWords() {
        var drained = Self.worker(3, phase: .stopped, running: 0)
        #expect(FleetText.detail(drained) == "")
        drained.drainID = 42
        #expect(FleetText.detail(drained) == "drain #42 · drainctl report 42")
    }

    @Test("40 workers scroll to keep the selected one in view; q quits")
    func scrolling() {
        var state = Self.state([(1...40).map { Self.worker($0) }])
        for _ in 0..<39 { _ = state.handle(.down) }
        let lines = Self.text(state, ScreenSize(columns: 80, rows: 24))
        #expect(lines.contains { $0.hasPrefix("▸") && $0.contains("web-40") })
        #expect(!lines.contains { $0.contains("web-1 ") })
        let quits = state.handle(.character("q"))
        #expect(quits)
    }
}
