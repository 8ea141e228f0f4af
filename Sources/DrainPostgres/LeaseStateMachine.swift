import Foundation

/// The lease, heartbeat and rescue decisions of one worker, without a database.
///
/// The journal tells it what happened (a heartbeat written or failed) and asks it what to do now and
/// whom to rescue; the SQL stays at the edge. Times are instants of one monotonic clock, except a peer's
/// silence, which the database measures with its own clock, so that workers' clocks never have to agree.
struct LeaseStateMachine: Sendable {
    /// What the journal should do now.
    enum Action: Sendable, Hashable {
        /// Write this worker's heartbeat (which also reads the shared queue's count: the poll).
        case beat
        /// Look for dead workers and put their running jobs back in the queue.
        case sweep
    }

    /// A worker holding running jobs, as the database sees it.
    struct Peer: Sendable, Hashable {
        var id: UUID
        /// Time since its last heartbeat, by the database's clock; nil when it has no workers row.
        var silence: Duration?
        /// Its own lease, from its row.
        var lease: Duration?
        /// It said it stopped: whatever it still holds are outcomes it could not write.
        var stopped: Bool
    }

    let heartbeat: Duration
    let lease: Duration
    private var nextBeat: Duration
    private var nextSweep: Duration
    private var lastBeat: Duration?
    private(set) var reachable = true

    init(heartbeat: Duration, lease: Duration, now: Duration) {
        precondition(heartbeat > .zero && lease > heartbeat, "the lease must be longer than the heartbeat")
        self.heartbeat = heartbeat
        self.lease = lease
        nextBeat = now
        nextSweep = now
    }

    /// What is due at `now`, in the order to do it, and when to ask again.
    ///
    /// The sweep before the beat: the beat counts the queue and the jobs waiting for rescue, and a rescue
    /// just made moves jobs from the one to the other.
    mutating func due(now: Duration) -> (actions: [Action], next: Duration) {
        var actions: [Action] = []
        // A sweep needs the database; while it does not answer, only the heartbeat keeps trying.
        if now >= nextSweep, reachable {
            actions.append(.sweep)
            nextSweep = now + heartbeat
        }
        if now >= nextBeat {
            actions.append(.beat)
            nextBeat = now + heartbeat
        }
        return (actions, min(nextBeat, reachable ? nextSweep : nextBeat))
    }

    /// The heartbeat was written.
    /// - Returns: Whether the journal just became reachable again.
    mutating func beatSucceeded(now: Duration) -> Bool {
        lastBeat = now
        defer { reachable = true }
        return !reachable
    }

    /// The heartbeat could not be written.
    /// - Returns: Whether the journal just became unreachable.
    mutating func beatFailed(now: Duration) -> Bool {
        defer { reachable = false }
        return reachable
    }

    /// Whether peers still see this worker alive: its last heartbeat is younger than its lease. Once it
    /// is not, its running jobs may be rescued and run elsewhere, so their outcomes here may be dropped.
    func holdsLease(now: Duration) -> Bool {
        guard let lastBeat else { return false }
        return now - lastBeat < lease
    }

    /// Which of `peers` are dead, so that their running jobs go back to the queue.
    ///
    /// A worker is dead when it said it stopped, when it has no row, or when it has been silent for longer
    /// than its lease. Being slow is not being dead: a worker that keeps beating keeps its jobs however
    /// long they run. This worker never rescues itself, whatever its row says, because its jobs may still
    /// be running here.
    func deadPeers(_ peers: [Peer], me: UUID) -> [UUID] {
        peers.filter { peer in
            guard peer.id != me else { return false }
            if peer.stopped { return true }
            guard let silence = peer.silence else { return true }
            return silence > (peer.lease ?? lease)
        }
        .map(\.id)
    }
}
