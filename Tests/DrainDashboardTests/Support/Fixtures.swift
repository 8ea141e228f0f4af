import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation

/// Snapshots, events and states built by hand, for layout tests that need no socket and no terminal.
enum Fixtures {
    static let entry = ProcessEntry(name: "shop", pid: 4242, path: "/tmp/dash-test/shop.4242.sock")
    static let other = ProcessEntry(name: "mailer", pid: 77, path: "/tmp/dash-test/mailer.77.sock")
    static let base = ContinuousClock.now

    static func snapshot(_ phase: DrainPhase) -> PoolSnapshot {
        var s = PoolSnapshot(name: "shop", pid: 4242, phase: phase)
        s.uptimeSeconds = 133
        s.maxConcurrentJobs = 8
        s.inFlight = 6
        s.inFlightJobs = 6
        s.queued = 3
        s.completed = 1204
        s.failed = 2
        s.rejected = 1
        s.oldestJobs = [
            PoolSnapshot.InFlightJob(id: 100, kind: "report.export", ageSeconds: 30, predictedRemainingSeconds: 40)
        ]
        for index in 1..<6 {
            let age: Double = 30 - Double(index) * 4
            let id = JobID(100 + index)
            s.oldestJobs.append(
                PoolSnapshot.InFlightJob(id: id, kind: "email.send", ageSeconds: age, predictedRemainingSeconds: 1.5))
        }
        if phase >= .draining {
            s.drainCause = .signal("SIGTERM")
            s.graceSeconds = 30
            s.secondsLeft = 15
            s.inFlightAtDrainStart = 20
            s.drainedSinceStart = 10
            s.etaSeconds = 12
            s.predictedMisses = 1
            s.queued = 0
        }
        if phase >= .forcing { s.secondsLeft = -0.5 }
        if phase == .lameDuck { s.ready = false }
        return s
    }

    static func event(_ seq: Int, _ kind: DrainEvent.Kind, _ message: String, phase: DrainPhase = .running)
        -> DrainEvent
    {
        DrainEvent(
            seq: seq, time: Date(timeIntervalSince1970: 1_700_000_000 + Double(seq)), kind: kind, phase: phase,
            message: message)
    }

    /// A state attached to ``entry`` that received `snapshot` at ``base``.
    static func state(_ snapshot: PoolSnapshot?, processes: [ProcessEntry] = [entry]) -> DashboardState {
        var state = DashboardState(processes: processes, suggestedGrace: 15)
        _ = state.attach(entry)
        state.apply(.connected(session: state.session), at: base)
        if let snapshot { state.apply(.snapshot(snapshot, session: state.session), at: base) }
        return state
    }

    /// A report as the server sends it; decoded, since the type has no public initialiser.
    static func report(_ outcome: ShutdownReport.Outcome, requeued: Int, drainSeconds: Double) throws -> ShutdownReport
    {
        let json = """
            {"outcome":"\(outcome.rawValue)","name":"shop","pid":4242,"stopped_at":"2024-01-01T00:00:00Z",
             "drain_seconds":\(drainSeconds),"in_flight_at_drain_start":20,"completed":1220,"failed":2,
             "cancelled":\(requeued),"requeued":\(requeued),"recovered":0,"rejected":1,"queued":\(requeued),"jobs":[]}
            """
        return try JSONDecoder.drain.decode(ShutdownReport.self, from: Data(json.utf8))
    }

    static func stoppedEvent(_ seq: Int, _ report: ShutdownReport) -> DrainEvent {
        DrainEvent(
            seq: seq, time: Date(timeIntervalSince1970: 1_700_000_100), kind: .stopped, phase: .stopped,
            message: "stopped \(report.outcome.rawValue)", report: report
        )
    }
}

/// The screen as text, one line per row, for `#expect(screen.contains(…))`.
struct Screen {
    let lines: [ScreenLine]

    init(
        _ state: DashboardState, _ size: ScreenSize = ScreenSize(columns: 100, rows: 30),
        at now: ContinuousClock.Instant = Fixtures.base
    ) {
        lines = DashboardLayout.render(state: state, size: size, now: now)
    }

    var text: String { lines.map(\.text).joined(separator: "\n") }

    func contains(_ fragment: String) -> Bool { text.contains(fragment) }

    /// The first row containing `fragment`.
    func row(_ fragment: String) -> ScreenLine? { lines.first { $0.text.contains(fragment) } }

    /// The style of the first character of `fragment` on its row.
    func style(of fragment: String) -> Style? {
        guard let line = row(fragment), let range = line.text.range(of: fragment) else { return nil }
        return line.style(at: line.text.distance(from: line.text.startIndex, to: range.lowerBound))
    }
}
