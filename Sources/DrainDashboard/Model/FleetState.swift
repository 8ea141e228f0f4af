import DrainFleet
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The fleet view of `top --postgres`: every worker of the shared journal, the hand-offs between them,
/// and what changed, as plain values.
///
/// It changes only through ``apply(_:at:)`` and ``handle(_:)``, so the fleet screen is laid out in tests
/// without a database or a terminal.
public struct FleetState: Sendable {
    /// One read of the journal, as the feed delivers it.
    public enum Update: Sendable {
        /// The workers, and the hand-offs the feed's ``DrainFleet/HandoffTracker`` has followed so far.
        case read(FleetSnapshot, handoffs: [HandoffTracker.Handoff], time: Date)
        /// The read failed: the database is unreachable, or the schema has no journal.
        case failed(String)
    }

    /// A line of the fleet's log: a worker that appeared, started draining, stopped, went silent, was
    /// rescued.
    public struct Event: Sendable, Hashable {
        public var time: Date
        public var text: String
        public var style: Style
    }

    /// The URL, without its password, and the schema: the header names them.
    public var source: String
    public private(set) var snapshot: FleetSnapshot?
    /// When the snapshot arrived: countdowns move from here between reads.
    public private(set) var arrival: ContinuousClock.Instant?
    public private(set) var handoffs: [HandoffTracker.Handoff] = []
    /// Worker id → name, for every worker seen, so hand-offs of a worker gone from the table still read.
    public private(set) var names: [String: String] = [:]
    /// The longest time left seen per worker: the full length of its countdown bar for a worker that does
    /// not write its grace (a build before schema v4).
    public private(set) var longestLeft: [String: Double] = [:]
    public private(set) var events: [Event] = []
    /// The last read's error, until a read succeeds.
    public private(set) var error: String?
    public var selected = 0
    public var scroll = 0
    public var showsHelp = false

    public static let eventLimit = 200

    public init(source: String) { self.source = source }

    public mutating func apply(_ update: Update, at now: ContinuousClock.Instant) {
        switch update {
        case .failed(let message):
            error = message
        case .read(let new, let handoffs, let time):
            error = nil
            note(new, at: time)
            for worker in new.workers {
                names[worker.id] = worker.name
                if let left = worker.secondsLeft { longestLeft[worker.id] = max(longestLeft[worker.id] ?? 0, left) }
            }
            snapshot = new
            arrival = now
            self.handoffs = handoffs
            selected = min(selected, max(0, new.workers.count - 1))
        }
    }

    /// Reacts to a key.
    /// - Returns: True for `q`.
    public mutating func handle(_ key: Key) -> Bool {
        if showsHelp {
            showsHelp = false
            return key == .character("q")
        }
        let last = max(0, (snapshot?.workers.count ?? 0) - 1)
        switch key {
        case .character("q"), .character("Q"): return true
        case .character("?"), .character("h"): showsHelp = true
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"): selected = min(last, selected + 1)
        case .pageUp: selected = max(0, selected - 10)
        case .pageDown: selected = min(last, selected + 10)
        case .home, .character("g"): selected = 0
        case .end, .character("G"): selected = last
        default: break
        }
        return false
    }

    /// Seconds since the snapshot arrived.
    public func elapsed(at now: ContinuousClock.Instant) -> Double {
        arrival.map { max(0, (now - $0) / .seconds(1)) } ?? 0
    }

    /// Logs what changed between the last read and `new`.
    private mutating func note(_ new: FleetSnapshot, at time: Date) {
        let old = Dictionary((snapshot?.workers ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for worker in new.workers {
            let name = "\(worker.name) on \(worker.host) (pid \(worker.pid))"
            guard let before = old[worker.id] else {
                if snapshot != nil { log(time, "\(name) joined the fleet", .ok) }
                continue
            }
            switch (before.health, worker.health) {
            case (.alive, .lost), (.stopped, .lost):
                log(time, "\(name) is lost: \(FleetText.detail(worker))", .danger)
            case (.lost, .rescued), (.alive, .rescued):
                log(time, "\(name) was found dead; its jobs went back to the queue", .warning)
            case (.lost, .alive):
                log(time, "\(name) is beating again", .ok)
            case (_, .stopped) where before.health != .stopped:
                log(time, "\(name) stopped", .bold)
            default:
                if before.phase != worker.phase, let phase = worker.phase, worker.health == .alive {
                    var text = "\(name) is \(DashboardLayout.phaseName(phase).lowercased())"
                    if let left = worker.secondsLeft { text += ", \(DurationFormat.seconds(max(0, left))) left" }
                    log(time, text, DashboardLayout.phaseStyle(phase))
                }
            }
        }
    }

    private mutating func log(_ time: Date, _ text: String, _ style: Style) {
        events.append(Event(time: time, text: text, style: style))
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }
}
