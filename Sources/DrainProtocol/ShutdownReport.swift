#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a drain did, written once when the pool stops.
///
/// It answers the operator's questions after a deploy: did it drain cleanly, how long did it take, and
/// which jobs were cancelled or put back, and how long had they run.
public struct ShutdownReport: Sendable, Codable, Hashable {
    /// `clean` when everything in flight finished before the deadline.
    public enum Outcome: String, Sendable, Codable {
        case clean
        case forced
    }

    /// A job that did not finish during the drain.
    public struct JobEntry: Sendable, Codable, Hashable {
        public var id: JobID
        public var kind: String
        public var ranSeconds: Double
        /// `cancelled` (stopped by cancellation and put back) or `abandoned` (ignored cancellation).
        public var fate: String
        public var requeued: Bool

        private enum CodingKeys: String, CodingKey {
            case id, kind, fate, requeued
            case ranSeconds = "ran_seconds"
        }

        /// A job the drain did not let finish.
        public init(
            id: JobID, kind: String, ranSeconds: Double, fate: String, requeued: Bool
        ) {
            self.id = id
            self.kind = kind
            self.ranSeconds = ranSeconds
            self.fate = fate
            self.requeued = requeued
        }
    }

    public var outcome: Outcome
    public var name: String
    public var pid: Int32
    public var cause: DrainCause?
    public var drainStartedAt: Date?
    public var stoppedAt: Date
    /// From the start of draining (after any lame duck) to stopped.
    public var drainSeconds: Double
    public var graceSeconds: Double?
    public var inFlightAtDrainStart: Int
    /// Jobs and tracked operations (HTTP requests) that finished.
    public var completed: Int
    public var failed: Int
    public var cancelled: Int
    public var requeued: Int
    public var recovered: Int
    public var rejected: Int
    /// Jobs still queued in the journal for the next start.
    public var queued: Int
    /// Every job cancelled or requeued by this drain.
    public var jobs: [JobEntry]
    /// Of ``completed``, how many were tracked operations; nil in reports written before they were counted.
    public var completedOperations: Int?
    /// The drain in time, lane by lane; nil when the pool stopped without draining anything, and in reports
    /// written before timelines were kept.
    public var timeline: DrainTimeline?
    /// The drain's ID in the journal's drain history (`drainctl report ID`), once the journal kept it; nil
    /// when the journal keeps no history, failed to keep it, and in reports written before IDs were given.
    public var historyID: Int64?

    /// The report in the wire dialect (``Foundation/JSONEncoder/drain``), snake_case keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder.drain
        return try encoder.encode(self)
    }

    private enum CodingKeys: String, CodingKey {
        case outcome, name, pid, cause, completed, failed, cancelled, requeued, recovered, rejected, queued, jobs
        case drainStartedAt = "drain_started_at"
        case stoppedAt = "stopped_at"
        case drainSeconds = "drain_seconds"
        case graceSeconds = "grace_seconds"
        case inFlightAtDrainStart = "in_flight_at_drain_start"
        case completedOperations = "completed_operations"
        case timeline
        case historyID = "history_id"
    }

    /// A report with every field given; a pool writes its own when it stops.
    public init(
        outcome: Outcome, name: String, pid: Int32, cause: DrainCause? = nil, drainStartedAt: Date? = nil,
        stoppedAt: Date, drainSeconds: Double, graceSeconds: Double? = nil, inFlightAtDrainStart: Int, completed: Int,
        failed: Int, cancelled: Int, requeued: Int, recovered: Int, rejected: Int, queued: Int, jobs: [JobEntry],
        completedOperations: Int? = nil, timeline: DrainTimeline? = nil, historyID: Int64? = nil
    ) {
        self.outcome = outcome
        self.name = name
        self.pid = pid
        self.cause = cause
        self.drainStartedAt = drainStartedAt
        self.stoppedAt = stoppedAt
        self.drainSeconds = drainSeconds
        self.graceSeconds = graceSeconds
        self.inFlightAtDrainStart = inFlightAtDrainStart
        self.completed = completed
        self.failed = failed
        self.cancelled = cancelled
        self.requeued = requeued
        self.recovered = recovered
        self.rejected = rejected
        self.queued = queued
        self.jobs = jobs
        self.completedOperations = completedOperations
        self.timeline = timeline
        self.historyID = historyID
    }
}
