import DrainClient
import DrainProtocol

/// Everything the screen shows, as plain values: what the feed reported and what the user is doing.
///
/// It changes only through ``apply(_:at:)`` (the network side) and ``handle(_:at:)`` (keys), both pure,
/// so every screen can be built in a test without a socket or a terminal.
public struct DashboardState: Sendable {
    /// Where the connection to the watched process stands.
    public enum Connection: Sendable, Hashable {
        /// No process chosen yet: the process list is open.
        case choosing
        case connecting
        case live
        /// The process stopped and said so: the `stopped` event and its report arrived.
        case stopped(StopSummary)
        /// The connection ended without a `stopped` event: the process died, or the socket broke.
        case lost(String)

        /// Whether the connection is over, one way or the other.
        public var hasEnded: Bool {
            switch self {
            case .stopped, .lost: true
            case .choosing, .connecting, .live: false
            }
        }
    }

    /// The part of the shutdown report the banner and the summary show.
    public struct StopSummary: Sendable, Hashable {
        public var outcome: ShutdownReport.Outcome
        public var drainSeconds: Double
        public var completed: Int
        public var cancelled: Int
        public var requeued: Int
        /// The expected misses predicted when the drain started (the first draining snapshot seen);
        /// nil when none was seen.
        public var predictedMisses: Double?

        public init(
            outcome: ShutdownReport.Outcome, drainSeconds: Double, completed: Int, cancelled: Int, requeued: Int
        ) {
            self.outcome = outcome
            self.drainSeconds = drainSeconds
            self.completed = completed
            self.cancelled = cancelled
            self.requeued = requeued
        }

        public init(_ report: ShutdownReport) {
            self.init(
                outcome: report.outcome, drainSeconds: report.drainSeconds, completed: report.completed,
                cancelled: report.cancelled, requeued: report.requeued
            )
        }
    }

    /// What the keyboard is doing: browsing, or in the middle of a dialogue.
    public enum Mode: Sendable, Hashable {
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
    public struct ProcessRow: Sendable, Hashable {
        public var entry: ProcessEntry
        public var phase: DrainPhase?
        public var inFlight: Int?
        public var queued: Int?
        public var responded: Bool?

        public init(entry: ProcessEntry) { self.entry = entry }
    }

    /// A one-line message in the footer, shown until `until`.
    public struct Notice: Sendable, Hashable {
        public var text: String
        public var style: Style
        public var until: ContinuousClock.Instant
    }

    /// How long a footer notice stays.
    public static let noticeDuration: Duration = .seconds(4)
    /// How far `+` and `-` move the deadline.
    public static let deadlineStep = 10.0
    /// How many events are kept for the log.
    public static let eventLimit = 200

    /// The process being watched; nil while the process list is open at start.
    public var target: ProcessEntry?
    /// Increases on every attach; updates of older sessions are ignored.
    public private(set) var session = 0
    public var connection: Connection
    /// The expected misses of the first draining snapshot, for the end banner's "predicted 2, missed 2".
    public var predictedAtDrainStart: Double?
    /// The latest snapshot; kept after the connection ends, for the last frame.
    public var snapshot: PoolSnapshot?
    /// When the snapshot arrived, on the monotonic clock: countdowns move from here between snapshots.
    public var snapshotArrival: ContinuousClock.Instant?
    /// When the connection ended: clocks on screen stop there.
    public var endedAt: ContinuousClock.Instant?
    /// The newest events, oldest first.
    public var events: [DrainEvent] = []
    /// In flight over the last minute, for the sparkline.
    public var history = InFlightHistory()
    /// The live processes of the run directory, for `tab` and the process list.
    public var processes: [ProcessRow] = []
    /// A process that appeared in the run directory while watching, offered with `a`.
    public var offer: ProcessEntry?
    /// The dialogue or overlay the keys go to.
    public var mode: Mode = .normal
    /// The first job row shown.
    public var scroll = 0
    /// The footer message, if one is showing.
    public var notice: Notice?
    /// What the grace prompt starts with; nil leaves it to the planner's offer, or empty (the service's
    /// default) when the snapshot has no plan.
    public var suggestedGrace: Double?
    /// The grace prompt holds the planner's offer, untouched: the first digit typed replaces it.
    public var graceOffered = false
    /// Why the dashboard must end: the watched socket does not speak the protocol. The screen loop
    /// restores the terminal and reports it as an error.
    public var failure: String?
    /// Every socket path seen so far, so only processes that are really new are offered.
    private var seenPaths: Set<String> = []

    /// - Parameters:
    ///   - processes: The live processes in the run directory at start.
    ///   - suggestedGrace: What the grace prompt starts with.
    public init(processes: [ProcessEntry], suggestedGrace: Double? = nil) {
        self.processes = processes.map(ProcessRow.init(entry:))
        self.seenPaths = Set(processes.map(\.path))
        self.suggestedGrace = suggestedGrace
        self.connection = .choosing
    }

    /// The phase of the watched process, as last seen.
    public var phase: DrainPhase? { snapshot?.phase }

    /// Starts watching `entry`: clears what was shown of the previous process.
    /// - Returns: The command that makes the feed subscribe.
    public mutating func attach(_ entry: ProcessEntry) -> DashboardCommand {
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
    public var clocksRunning: Bool {
        snapshot != nil && !connection.hasEnded
    }

    /// Seconds since the snapshot arrived, stopped at the end of the connection.
    public func elapsedSinceSnapshot(at now: ContinuousClock.Instant) -> Double {
        guard let snapshotArrival else { return 0 }
        let until = min(now, endedAt ?? now)
        return max(0, (until - snapshotArrival) / .seconds(1))
    }

    /// Seconds to the deadline at `now`, moving smoothly between snapshots; nil without a deadline.
    public func secondsLeft(at now: ContinuousClock.Instant) -> Double? {
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
