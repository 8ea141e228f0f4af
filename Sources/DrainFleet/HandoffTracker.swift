import DrainProtocol

/// Where the work of a draining or dead worker went: which jobs left it unfinished, and who took them.
///
/// The journal keeps no history of a job's workers, so the tracker follows the running jobs from one
/// read to the next. A job that stops running under a worker is either finished or back in the queue
/// (requeued by a drain, rescued from a dead worker); asked about its state, the journal says which.
/// A requeued job that then runs under another worker is a hand-off. Pure: reads go in, hand-offs
/// come out, so it is tested without a database.
public struct HandoffTracker: Sendable {
    /// The work one worker gave up.
    public struct Handoff: Sendable, Hashable {
        /// The worker that gave it up.
        public var from: String
        /// Jobs that left it unfinished and went back to the queue.
        public var requeued: Int
        /// Of those, how many each other worker took, by worker id.
        public var takenBy: [String: Int]

        public init(from: String, requeued: Int, takenBy: [String: Int]) {
            self.from = from
            self.requeued = requeued
            self.takenBy = takenBy
        }

        /// Still in the queue, not taken yet.
        public var waiting: Int { requeued - takenBy.values.reduce(0, +) }
    }

    /// The most jobs followed while their fate is unknown; the oldest are let go beyond it.
    public static let pendingLimit = 10_000

    private var lastRunning: [Int64: String] = [:]
    /// Jobs that left a worker, by id: the worker, and whether they are known to be back in the queue.
    private var pending: [Int64: (from: String, queued: Bool)] = [:]
    private var order: [Int64] = []
    /// Hand-offs by the id of the worker that gave the work up.
    public private(set) var handoffs: [String: Handoff] = [:]

    public init() {}

    /// The jobs whose state the next ``observe(running:states:)`` needs: those that left a worker and
    /// are not running anywhere now.
    public func unknown(running: [Int64: String]) -> [Int64] {
        var ids = pending.keys.filter { running[$0] == nil }
        ids += lastRunning.keys.filter { running[$0] == nil && pending[$0] == nil }
        return ids.sorted()
    }

    /// Takes in one read: the running jobs now, and the states of the ids ``unknown(running:)`` named.
    public mutating func observe(running: [Int64: String], states: [Int64: JobState]) {
        for (job, worker) in lastRunning where running[job] != worker && pending[job] == nil {
            // It left `worker`: finished, requeued, or already running elsewhere.
            if let now = running[job] {
                record(job, from: worker, queued: true)
                take(job, by: now)
            } else if states[job] == .queued {
                record(job, from: worker, queued: true)
            } else if states[job]?.isFinished != true {
                // Its state is not known yet (not asked, or it changed between the two statements):
                // follow it until it is.
                record(job, from: worker, queued: false)
            }
        }
        for (job, entry) in pending {
            if let now = running[job] {
                if now != entry.from {
                    if !entry.queued { count(job, from: entry.from) }
                    take(job, by: now)
                } else {
                    pending[job] = nil
                }
            } else if let state = states[job] {
                switch state {
                case .done, .failed: forget(job, entry)
                case .queued:
                    if !entry.queued {
                        pending[job] = (entry.from, true)
                        count(job, from: entry.from)
                    }
                case .running: break
                }
            }
        }
        lastRunning = running
        trim()
    }

    /// Hand-offs of workers that gave work up, most requeued first.
    public var sorted: [Handoff] {
        handoffs.values.filter { $0.requeued > 0 }.sorted { ($0.requeued, $1.from) > ($1.requeued, $0.from) }
    }

    private mutating func record(_ job: Int64, from worker: String, queued: Bool) {
        pending[job] = (worker, queued)
        order.append(job)
        if queued { count(job, from: worker) }
    }

    private mutating func count(_ job: Int64, from worker: String) {
        handoffs[worker, default: Handoff(from: worker, requeued: 0, takenBy: [:])].requeued += 1
    }

    private mutating func take(_ job: Int64, by worker: String) {
        guard let entry = pending.removeValue(forKey: job) else { return }
        handoffs[entry.from]?.takenBy[worker, default: 0] += 1
    }

    /// A job counted as requeued that turned out finished (it ended between two reads) is uncounted.
    private mutating func forget(_ job: Int64, _ entry: (from: String, queued: Bool)) {
        pending[job] = nil
        if entry.queued { handoffs[entry.from]?.requeued -= 1 }
    }

    private mutating func trim() {
        guard order.count > 2 * Self.pendingLimit || pending.count > Self.pendingLimit else { return }
        order = order.filter { pending[$0] != nil }
        while pending.count > Self.pendingLimit, let oldest = order.first {
            order.removeFirst()
            pending[oldest] = nil
        }
    }
}
