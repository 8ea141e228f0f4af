import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A rolling deploy as the fleet's drain history shows it: the drains of many workers within one window,
/// and where each job a drain requeued went.
///
/// Built from the drains in the window and what the `jobs` table says of their requeued jobs now. The
/// journal keeps no history of a job's workers, so a requeued job's next worker comes first from a later
/// drain in the window that had it in flight (its lane there), else from the job's row: the worker that
/// claimed it last, if it claimed it after the drain. Pure: rows in, deploy out, so it is tested without a
/// database.
public struct FleetDeploy: Sendable, Hashable {
    /// A worker that drained in the window or took a requeued job: one lane of the picture.
    public struct Worker: Sendable, Hashable {
        /// The worker's id (a UUID), unique across restarts.
        public var id: String
        public var name: String
        public var host: String
        public var pid: Int32

        public init(id: String, name: String, host: String, pid: Int32) {
            self.id = id
            self.name = name
            self.host = host
            self.pid = pid
        }
    }

    /// One drain of the window and the worker that drained.
    public struct Drain: Sendable, Hashable {
        public var entry: DrainHistoryEntry
        /// The id of the worker that drained (``Worker/id``).
        public var worker: String

        public init(entry: DrainHistoryEntry, worker: String) {
            self.entry = entry
            self.worker = worker
        }
    }

    /// Where a requeued job is now, as the `jobs` table says.
    public struct JobRow: Sendable, Hashable {
        public var state: JobState
        /// The worker that claimed it last; nil while it waits in the queue.
        public var worker: Worker?
        /// When that worker started it.
        public var startedAt: Date?

        public init(state: JobState, worker: Worker?, startedAt: Date?) {
            self.state = state
            self.worker = worker
            self.startedAt = startedAt
        }
    }

    /// One job a drain requeued, and where it went.
    public struct Handoff: Sendable, Hashable {
        /// The drain that requeued it (its ID in the history).
        public var drain: Int64
        public var job: JobID
        public var kind: String
        /// The worker that gave it up.
        public var from: String
        /// The worker that took it next; nil while it waits in the queue, or when the journal no longer says.
        public var to: String?
        /// When that worker started it.
        public var takenAt: Date?
        /// What became of it there: `done`, `failed`, `running`, or `cut` by that worker's own drain; nil when
        /// it has not been taken.
        public var outcome: String?
        /// Still queued: nobody has taken it yet.
        public var waiting: Bool

        public init(
            drain: Int64, job: JobID, kind: String, from: String, to: String?, takenAt: Date?, outcome: String?,
            waiting: Bool
        ) {
            self.drain = drain
            self.job = job
            self.kind = kind
            self.from = from
            self.to = to
            self.takenAt = takenAt
            self.outcome = outcome
            self.waiting = waiting
        }
    }

    /// The fleet (the journal's schema).
    public var fleet: String
    /// The drains of the window, in the order they began.
    public var drains: [Drain]
    /// The lanes: the workers that drained, in the order their drains began, then those that only took jobs.
    public var workers: [Worker]
    /// Every requeued job of the window's drains, drain by drain.
    public var handoffs: [Handoff]

    /// - Parameters:
    ///   - fleet: The journal's schema.
    ///   - drains: The drains of the window, each with its worker.
    ///   - jobs: What the `jobs` table says now of the jobs those drains requeued, by id.
    public init(fleet: String, drains: [(drain: Drain, worker: Worker)], jobs: [JobID: JobRow]) {
        self.fleet = fleet
        let sorted = drains.sorted { ($0.drain.startedAt, $0.drain.entry.id) < ($1.drain.startedAt, $1.drain.entry.id) }
        self.drains = sorted.map(\.drain)
        var workers: [Worker] = []
        func add(_ worker: Worker) {
            if !workers.contains(where: { $0.id == worker.id }) { workers.append(worker) }
        }
        for (_, worker) in sorted { add(worker) }
        var handoffs: [Handoff] = []
        var takers: [(Date, Worker)] = []
        for (index, (drain, _)) in sorted.enumerated() {
            let report = drain.entry.report
            // A job this drain cut was running here until then: any run of it elsewhere that started after the
            // drain began is a later one. (Not its stop: a peer often takes a job before the drain has
            // finished stopping, and the workers' clocks and the database's need not agree to the second.)
            let began = drain.startedAt
            for job in report.jobs where job.requeued {
                var handoff = Handoff(
                    drain: drain.entry.id, job: job.id, kind: job.kind, from: drain.worker, to: nil, takenAt: nil,
                    outcome: nil, waiting: false)
                // A later drain that had it in flight took it (and may have requeued it again in turn).
                let later = sorted[(index + 1)...].lazy.compactMap { next, worker -> (DrainTimeline.Lane, Worker)? in
                    guard next.worker != drain.worker,
                        let lane = next.entry.report.timeline?.lanes.first(where: {
                            $0.id == job.id && $0.startedAt >= began
                        })
                    else { return nil }
                    return (lane, worker)
                }.first
                if let (lane, worker) = later {
                    handoff.to = worker.id
                    handoff.takenAt = lane.startedAt
                    handoff.outcome =
                        switch lane.fate {
                        case .cancelled?, .abandoned?: "cut"
                        case let fate?: fate.rawValue
                        case nil: "running"
                        }
                } else if let row = jobs[job.id] {
                    if let worker = row.worker, worker.id != drain.worker,
                        let started = row.startedAt, started >= began
                    {
                        handoff.to = worker.id
                        handoff.takenAt = started
                        handoff.outcome = row.state.rawValue
                        takers.append((started, worker))
                    } else {
                        handoff.waiting = row.state == .queued
                    }
                }
                handoffs.append(handoff)
            }
        }
        for (_, worker) in takers.sorted(by: { $0.0 < $1.0 }) { add(worker) }
        self.workers = workers
        self.handoffs = handoffs
    }

    /// The worker with `id`.
    public func worker(_ id: String) -> Worker? { workers.first { $0.id == id } }

    /// Requeued jobs some other worker took.
    public var taken: Int { handoffs.filter { $0.to != nil }.count }
    /// Requeued jobs still in the queue.
    public var waiting: Int { handoffs.filter(\.waiting).count }
}

extension FleetDeploy.Drain {
    /// When the drain began (its lame duck, if it had one); its stop when the report names no start.
    public var startedAt: Date {
        let report = entry.report
        return report.timeline?.lameDuckStartedAt ?? report.drainStartedAt
            ?? report.stoppedAt.addingTimeInterval(-report.drainSeconds)
    }
}
