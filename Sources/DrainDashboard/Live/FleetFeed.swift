import DrainClient
import DrainFleet
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the fleet from the shared journal once per interval on a thread of its own (libpq blocks), and
/// follows hand-offs from one read to the next.
///
/// One connection, one round trip of three statements per read, plus one small statement when jobs
/// left a worker since the last read: a second's refresh costs the database little (BENCHMARKS.md).
final class FleetFeed: Sendable {
    private let updates = Mutex<[FleetState.Update]>([])
    private let stopped = Atomic<Bool>(false)

    /// Starts reading `url` every `interval`.
    init(url: FleetURL, interval: Duration) {
        let milliseconds = max(1, Int(interval / .milliseconds(1)))
        DetachedThread.start(name: "drainctl-fleet") { [self] in
            self.run(url: url, intervalMs: milliseconds)
        }
    }

    /// Everything read since the last call, oldest first.
    func take() -> [FleetState.Update] {
        updates.withLock { updates in
            defer { updates.removeAll(keepingCapacity: true) }
            return updates
        }
    }

    /// Ends the reading thread after its current read.
    func stop() { stopped.store(true, ordering: .relaxed) }

    private func run(url: FleetURL, intervalMs: Int) {
        var reader: FleetReader?
        var tracker = HandoffTracker()
        while !stopped.load(ordering: .relaxed) {
            do {
                let current = try reader ?? FleetReader(url: url)
                reader = current
                let snapshot = try current.read()
                let states = try current.states(of: tracker.unknown(running: snapshot.running))
                tracker.observe(running: snapshot.running, states: states)
                let handoffs = tracker.sorted
                updates.withLock { $0.append(.read(snapshot, handoffs: handoffs, time: Date())) }
            } catch let error as FleetError {
                // The connection is made again at the next read.
                if error.code == .connectFailed { reader = nil }
                updates.withLock { $0.append(.failed(error.message)) }
            } catch {
                updates.withLock { $0.append(.failed("\(error)")) }
            }
            // Slept in small steps, so quitting does not wait for a whole interval.
            var slept = 0
            while slept < intervalMs, !stopped.load(ordering: .relaxed) {
                usleep(20_000)
                slept += 20
            }
        }
    }
}
