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
package struct FleetState: Sendable {
    /// One read of the journal, as the feed delivers it.
    package enum Update: Sendable {
        /// The workers, and the hand-offs the feed's ``DrainFleet/HandoffTracker`` has followed so far.
        case read(FleetSnapshot, handoffs: [HandoffTracker.Handoff], time: Date)
        /// The read failed: the database is unreachable, or the schema has no journal.
        case failed(String)
    }

    /// A line of the fleet's log: a worker that appeared, started draining, stopped, went silent, was
    /// rescued.
    package struct Event: Sendable, Hashable {
        package var time: Date
        package var text: String
        package var style: Style
    }

    /// The URL, without its password, and the schema: the header names them.
    package var source: String
    package private(set) var snapshot: FleetSnapshot?
    /// When the snapshot arrived: countdowns move from here between reads.
    package private(set) var arrival: ContinuousClock.Instant?
    package private(set) var handoffs: [HandoffTracker.Handoff] = []
    /// Worker id → name, for every worker seen, so hand-offs of a worker gone from the table still read.
    package private(set) var names: [String: String] = [:]
    /// The longest time left seen per worker: the full length of its countdown bar for a worker that does
    /// not write its grace (a build before schema v4).
    package private(set) var longestLeft: [String: Double] = [:]
    package private(set) var events: [Event] = []
    /// The last read's error, until a read succeeds.
    package private(set) var error: String?
    package var selected = 0
    package var scroll = 0
    package var showsHelp = false

    package static let eventLimit = 200

    package init(source: String) { self.source = source }

    package mutating func apply(_ update: Update, at now: ContinuousClock.Instant) {
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
    package mutating func handle(_ key: Key) -> Bool {
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
    package func elapsed(at now: ContinuousClock.Instant) -> Double {
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
                log(time, "\(name) stopped" + (FleetText.drain(worker).map { ": " + $0 } ?? ""), .bold)
            case (.stopped, .stopped) where before.drainID == nil && worker.drainID != nil:
                // Its drain was recorded after the read that saw it stop.
                log(time, "\(name) stopped: " + (FleetText.drain(worker) ?? ""), .bold)
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
