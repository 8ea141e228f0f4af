import DrainClient
import DrainProtocol

/// Every process of the run directory side by side: one row each, the totals, and one event log
/// merged from all of them, each line tagged with its process.
///
/// Like ``DashboardState`` it changes only through ``apply(_:at:)`` and ``handle(_:at:)``, both pure, so
/// the overview is laid out in tests without a socket or a terminal. Each row has a subscription of its
/// own, told apart by its session number; sessions start at ``firstSession`` so they never collide with
/// the single screen's.
package struct OverviewState: Sendable {
    /// Where one process's subscription stands.
    package enum Status: Sendable, Hashable {
        case connecting
        case live
        /// The process said it stopped: its report arrived.
        case stopped(DashboardState.StopSummary)
        /// The connection ended without a report: the process was killed, or the socket broke.
        case lost(String)

        /// Whether the process reported that it stopped.
        package var isStopped: Bool {
            if case .stopped = self { return true }
            return false
        }

        /// Whether the row is final: its clocks stop and its subscription is over.
        package var hasEnded: Bool {
            switch self {
            case .stopped, .lost: true
            case .connecting, .live: false
            }
        }
    }

    /// One process: what its subscription reported last.
    package struct Row: Sendable, Hashable {
        package var entry: ProcessEntry
        /// The session number of its subscription.
        package var session: Int
        package var status: Status = .connecting
        package var snapshot: PoolSnapshot?
        /// When the snapshot arrived, on the monotonic clock: the countdown moves from here.
        package var snapshotArrival: ContinuousClock.Instant?
        /// When the connection ended: the row's clocks stop there.
        package var endedAt: ContinuousClock.Instant?
        /// The newest event seen, so events repeated in later snapshots are not logged twice.
        var lastSeq = 0

        package init(entry: ProcessEntry, session: Int) {
            self.entry = entry
            self.session = session
        }

        /// Seconds since the snapshot arrived, stopped at the end of the connection.
        package func elapsedSinceSnapshot(at now: ContinuousClock.Instant) -> Double {
            guard let snapshotArrival else { return 0 }
            return max(0, (min(now, endedAt ?? now) - snapshotArrival) / .seconds(1))
        }

        /// Seconds to the deadline at `now`; nil without a deadline or once the row has ended.
        package func secondsLeft(at now: ContinuousClock.Instant) -> Double? {
            guard !status.hasEnded, let snapshot, let left = snapshot.secondsLeft, snapshot.phase < .stopped else {
                return nil
            }
            return left - elapsedSinceSnapshot(at: now)
        }

        /// The ETA of the last job in flight at `now` (p50, p90 and the older single figure), moving between
        /// snapshots like the countdown.
        package func eta(at now: ContinuousClock.Instant) -> (p50: Double?, p90: Double?, single: Double?) {
            guard !status.hasEnded, let snapshot else { return (nil, nil, nil) }
            let elapsed = elapsedSinceSnapshot(at: now)
            func moved(_ seconds: Double?) -> Double? { seconds.map { max(0, $0 - elapsed) } }
            return (moved(snapshot.etaP50Seconds), moved(snapshot.etaP90Seconds), moved(snapshot.etaSeconds))
        }
    }

    /// An event of one process, in the merged log.
    package struct TaggedEvent: Sendable, Hashable {
        package var process: ProcessEntry
        package var event: DrainEvent
    }

    /// What the keyboard is doing.
    package enum Mode: Sendable, Hashable {
        case normal
        case help
        /// Typing the grace of a shutdown of the selected process; the text so far.
        case askGrace(String)
        /// Waiting for y/n before draining the selected process with this grace (nil: its default).
        case confirm(grace: Double?)
    }

    /// The first session number of the overview's subscriptions.
    package static let firstSession = 1 << 30
    /// How many merged events are kept.
    package static let eventLimit = 200

    /// One row per process ever seen, in the order they appeared; rows of ended processes stay.
    package private(set) var rows: [Row] = []
    /// The merged event log, oldest first.
    package private(set) var events: [TaggedEvent] = []
    /// The highlighted row: Enter opens it, `s` drains it.
    package var selected = 0
    /// The first row shown when they do not all fit.
    package var scroll = 0
    package var mode: Mode = .normal
    /// The footer message, if one is showing.
    package var notice: DashboardState.Notice?
    /// What the grace prompt starts with; nil leaves it empty (the service's default).
    package var suggestedGrace: Double?
    private var nextSession = OverviewState.firstSession

    /// - Parameters:
    ///   - processes: The live processes in the run directory at start.
    ///   - suggestedGrace: What the grace prompt starts with.
    package init(processes: [ProcessEntry], suggestedGrace: Double? = nil) {
        self.suggestedGrace = suggestedGrace
        _ = add(processes)
    }

    /// The subscriptions to open for the rows there are now; the screen loop asks once, at start.
    package var follows: [OverviewCommand] {
        rows.filter { !$0.status.hasEnded }.map { .follow($0.entry, session: $0.session) }
    }

    /// The selected row's process, if there is a row.
    package var selectedEntry: ProcessEntry? { rows.indices.contains(selected) ? rows[selected].entry : nil }

    /// Whether a countdown or an ETA moves on screen between updates.
    package var clocksRunning: Bool { rows.contains { !$0.status.hasEnded && $0.snapshot != nil } }

    /// Takes in one update from the network side.
    /// - Returns: Subscriptions to open, for processes that just appeared in the run directory.
    package mutating func apply(_ update: FeedUpdate, at now: ContinuousClock.Instant) -> [OverviewCommand] {
        switch update {
        case .processes(let entries):
            return add(entries)
        case .commandResult(let text, let ok):
            show(text, ok ? .ok : .danger, at: now)
        case .connected(let session):
            withRow(session) { row in
                if row.status == .connecting { row.status = .live }
            }
        case .snapshot(let snapshot, let session):
            var fresh: [TaggedEvent] = []
            withRow(session) { row in
                row.snapshot = snapshot
                row.snapshotArrival = now
                if row.status == .connecting { row.status = .live }
                fresh = Self.newEvents(snapshot.recentEvents, of: &row)
                if let report = snapshot.report, !row.status.hasEnded {
                    Self.end(&row, .stopped(.init(report)), at: now)
                }
            }
            merge(fresh)
        case .event(let event, let session):
            var fresh: [TaggedEvent] = []
            withRow(session) { row in
                fresh = Self.newEvents([event], of: &row)
                if event.kind == .stopped, let report = event.report, !row.status.hasEnded {
                    Self.end(&row, .stopped(.init(report)), at: now)
                }
            }
            merge(fresh)
        case .ended(let session, let error):
            withRow(session) { row in
                guard !row.status.hasEnded else { return }
                Self.end(
                    &row, .lost(error ?? "the connection closed before the process reported that it stopped"), at: now)
            }
        case .violation(let session, let message):
            // One process that does not speak the protocol must not end the view of all the others.
            withRow(session) { row in
                guard !row.status.hasEnded else { return }
                Self.end(&row, .lost(message), at: now)
            }
        case .processStatus:
            break
        }
        return []
    }

    /// Shows a one-line message in the footer for ``DashboardState/noticeDuration``.
    mutating func show(_ text: String, _ style: Style, at now: ContinuousClock.Instant) {
        notice = DashboardState.Notice(text: text, style: style, until: now + DashboardState.noticeDuration)
    }

    /// Rows for the processes not seen before, and the subscriptions they need.
    private mutating func add(_ entries: [ProcessEntry]) -> [OverviewCommand] {
        var commands: [OverviewCommand] = []
        for entry in entries where !rows.contains(where: { $0.entry == entry }) {
            rows.append(Row(entry: entry, session: nextSession))
            commands.append(.follow(entry, session: nextSession))
            nextSession += 1
        }
        return commands
    }

    private mutating func withRow(_ session: Int, _ body: (inout Row) -> Void) {
        guard session >= Self.firstSession, let index = rows.firstIndex(where: { $0.session == session }) else {
            return
        }
        body(&rows[index])
    }

    private static func end(_ row: inout Row, _ status: Status, at now: ContinuousClock.Instant) {
        row.status = status
        row.endedAt = now
    }

    private static func newEvents(_ incoming: [DrainEvent], of row: inout Row) -> [TaggedEvent] {
        let fresh = incoming.filter { $0.seq > row.lastSeq }.sorted { $0.seq < $1.seq }
        if let last = fresh.last { row.lastSeq = last.seq }
        return fresh.map { TaggedEvent(process: row.entry, event: $0) }
    }

    /// Adds events in time order: each process's arrive in order, but processes interleave.
    private mutating func merge(_ fresh: [TaggedEvent]) {
        for tagged in fresh {
            var index = events.endIndex
            while index > events.startIndex, events[index - 1].event.time > tagged.event.time { index -= 1 }
            events.insert(tagged, at: index)
        }
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }
}

/// What the overview asks for.
package enum OverviewCommand: Sendable, Hashable {
    /// Subscribe to one process for its row, updates tagged with `session`.
    case follow(ProcessEntry, session: Int)
    /// Open the full screen of one process.
    case open(ProcessEntry)
    /// Start a drain of one process, or move its deadline to `grace` from now if it is draining.
    case shutdown(ProcessEntry, grace: Double?)
    case quit
}
