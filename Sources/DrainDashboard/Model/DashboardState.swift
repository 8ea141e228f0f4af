import DrainClient
import DrainProtocol

/// Everything the screen shows, as plain values: what the feed reported and what the user is doing.
///
/// It changes only through ``apply(_:at:)`` (the network side) and ``handle(_:at:)`` (keys), both pure,
/// so every screen can be built in a test without a socket or a terminal.
package struct DashboardState: Sendable {
    /// Where the connection to the watched process stands.
    package enum Connection: Sendable, Hashable {
        /// No process chosen yet: the process list is open.
        case choosing
        case connecting
        case live
        /// The process stopped and said so: the `stopped` event and its report arrived.
        case stopped(StopSummary)
        /// The connection ended without a `stopped` event: the process died, or the socket broke.
        case lost(String)

        /// Whether the connection is over, one way or the other.
        package var hasEnded: Bool {
            switch self {
            case .stopped, .lost: true
            case .choosing, .connecting, .live: false
            }
        }
    }

    /// The part of the shutdown report the banner and the summary show.
    package struct StopSummary: Sendable, Hashable {
        package var outcome: ShutdownReport.Outcome
        package var drainSeconds: Double
        package var completed: Int
        package var cancelled: Int
        package var requeued: Int
        /// The expected misses predicted when the drain started (the first draining snapshot seen);
        /// nil when none was seen.
        package var predictedMisses: Double?
        /// The drain's ID in the journal's history (`drainctl report 42`); nil when the journal kept none.
        package var historyID: Int64?

        package init(
            outcome: ShutdownReport.Outcome, drainSeconds: Double, completed: Int, cancelled: Int, requeued: Int
        ) {
            self.outcome = outcome
            self.drainSeconds = drainSeconds
            self.completed = completed
            self.cancelled = cancelled
            self.requeued = requeued
        }

        package init(_ report: ShutdownReport) {
            self.init(
                outcome: report.outcome, drainSeconds: report.drainSeconds, completed: report.completed,
                cancelled: report.cancelled, requeued: report.requeued
            )
            historyID = report.historyID
        }
    }

    /// What the keyboard is doing: browsing, or in the middle of a dialogue.
    package enum Mode: Sendable, Hashable {
        case normal
        case help
        /// Typing the grace of a shutdown; the text typed so far.
        case askGrace(String)
        /// Waiting for y/n before sending a shutdown with this grace (nil: the service's default).
        case confirm(grace: Double?)
        /// The process list, with the highlighted row.
        case picker(Int)
    }

    /// A process in the run directory, with its last known status for the process list.
    package struct ProcessRow: Sendable, Hashable {
        package var entry: ProcessEntry
        package var phase: DrainPhase?
        package var inFlight: Int?
        package var queued: Int?
        package var responded: Bool?

        package init(entry: ProcessEntry) { self.entry = entry }
    }

    /// A one-line message in the footer, shown until `until`.
    package struct Notice: Sendable, Hashable {
        package var text: String
        package var style: Style
        package var until: ContinuousClock.Instant
    }

    /// How long a footer notice stays.
    package static let noticeDuration: Duration = .seconds(4)
    /// How far `+` and `-` move the deadline.
    package static let deadlineStep = 10.0
    /// How many events are kept for the log.
    package static let eventLimit = 200

    /// The process being watched; nil while the process list is open at start.
    package var target: ProcessEntry?
    /// Increases on every attach; updates of older sessions are ignored.
    package private(set) var session = 0
    package var connection: Connection
    /// The expected misses of the first draining snapshot, for the end banner's "predicted 2, missed 2".
    package var predictedAtDrainStart: Double?
    /// The latest snapshot; kept after the connection ends, for the last frame.
    package var snapshot: PoolSnapshot?
    /// When the snapshot arrived, on the monotonic clock: countdowns move from here between snapshots.
    package var snapshotArrival: ContinuousClock.Instant?
    /// When the connection ended: clocks on screen stop there.
    package var endedAt: ContinuousClock.Instant?
    /// The newest events, oldest first.
    package var events: [DrainEvent] = []
    /// In flight over the last minute, for the sparkline.
    package var history = InFlightHistory()
    /// The live processes of the run directory, for `tab` and the process list.
    package var processes: [ProcessRow] = []
    /// A process that appeared in the run directory while watching, offered with `a`.
    package var offer: ProcessEntry?
    /// The dialogue or overlay the keys go to.
    package var mode: Mode = .normal
    /// The first job row shown.
    package var scroll = 0
    /// The footer message, if one is showing.
    package var notice: Notice?
    /// What the grace prompt starts with; nil leaves it to the planner's offer, or empty (the service's
    /// default) when the snapshot has no plan.
    package var suggestedGrace: Double?
    /// The grace prompt holds the planner's offer, untouched: the first digit typed replaces it.
    package var graceOffered = false
    /// Why the dashboard must end: the watched socket does not speak the protocol. The screen loop
    /// restores the terminal and reports it as an error.
    package var failure: String?
    /// Every socket path seen so far, so only processes that are really new are offered.
    private var seenPaths: Set<String> = []

    /// - Parameters:
    ///   - processes: The live processes in the run directory at start.
    ///   - suggestedGrace: What the grace prompt starts with.
    package init(processes: [ProcessEntry], suggestedGrace: Double? = nil) {
        self.processes = processes.map(ProcessRow.init(entry:))
        self.seenPaths = Set(processes.map(\.path))
        self.suggestedGrace = suggestedGrace
        self.connection = .choosing
    }

    /// The phase of the watched process, as last seen.
    package var phase: DrainPhase? { snapshot?.phase }

    /// Starts watching `entry`: clears what was shown of the previous process.
    /// - Returns: The command that makes the feed subscribe.
    package mutating func attach(_ entry: ProcessEntry) -> DashboardCommand {
        session += 1
        target = entry
        connection = .connecting
        snapshot = nil
        snapshotArrival = nil
        predictedAtDrainStart = nil
        endedAt = nil
        events = []
        failure = nil
        history = InFlightHistory()
        scroll = 0
        mode = .normal
        if offer == entry { offer = nil }
        seenPaths.insert(entry.path)
        return .attach(entry, session: session)
    }

    /// Whether the screen moves on its own between updates: ages, the countdown, the ETA and the
    /// sparkline advance while connected to a process that sent a snapshot. Once the connection ended
    /// they are frozen at ``endedAt``, so a kept last frame need not be laid out again.
    package var clocksRunning: Bool {
        snapshot != nil && !connection.hasEnded
    }

    /// Seconds since the snapshot arrived, stopped at the end of the connection.
    package func elapsedSinceSnapshot(at now: ContinuousClock.Instant) -> Double {
        guard let snapshotArrival else { return 0 }
        let until = min(now, endedAt ?? now)
        return max(0, (until - snapshotArrival) / .seconds(1))
    }

    /// Seconds to the deadline at `now`, moving smoothly between snapshots; nil without a deadline.
    package func secondsLeft(at now: ContinuousClock.Instant) -> Double? {
        guard let left = snapshot?.secondsLeft, let phase, phase < .stopped else { return nil }
        return left - elapsedSinceSnapshot(at: now)
    }

    mutating func show(_ text: String, _ style: Style, at now: ContinuousClock.Instant) {
        notice = Notice(text: text, style: style, until: now + Self.noticeDuration)
    }

    mutating func noteProcesses(_ entries: [ProcessEntry]) {
        let old = Dictionary(processes.map { ($0.entry.path, $0) }, uniquingKeysWith: { first, _ in first })
        processes = entries.map { old[$0.path] ?? ProcessRow(entry: $0) }
        let fresh = entries.filter { !seenPaths.contains($0.path) && $0 != target }
        seenPaths.formUnion(entries.map(\.path))
        if let newest = fresh.last { offer = newest }
        if let offered = offer, !entries.contains(offered) { offer = nil }
        if case .picker(let row) = mode { mode = .picker(min(row, max(0, processes.count - 1))) }
    }

    mutating func merge(_ incoming: [DrainEvent]) {
        let last = events.last?.seq ?? 0
        let fresh = incoming.filter { $0.seq > last }.sorted { $0.seq < $1.seq }
        guard !fresh.isEmpty else { return }
        events.append(contentsOf: fresh)
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }
}
