#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The state of a pool at one moment: exact totals plus the oldest in-flight jobs.
///
/// Its size and the cost of taking it do not grow with the number of jobs in flight: it lists only the
/// ``WorkerPoolConfiguration/snapshotJobLimit`` oldest jobs and keeps time-bucketed counts for predictions.
public struct PoolSnapshot: Sendable, Codable, Hashable {
    /// A job in flight.
    public struct InFlightJob: Sendable, Codable, Hashable {
        public var id: JobID
        public var kind: String
        public var attempt: Int
        public var startedAt: Date
        public var ageSeconds: Double
        /// The median of the time it still needs, given its age; nil when over a day.
        public var predictedRemainingSeconds: Double?
        /// The chance it is still running at the deadline (while draining) or at the end of the default
        /// grace (while running: the planner's view).
        public var pMiss: Double?
        /// What ``pMiss`` rests on.
        public var predictionSource: PredictionSource?

        private enum CodingKeys: String, CodingKey {
            case id, kind, attempt
            case startedAt = "started_at"
            case ageSeconds = "age_seconds"
            case predictedRemainingSeconds = "predicted_remaining_seconds"
            case pMiss = "p_miss"
            case predictionSource = "prediction_source"
        }

        /// Protocol version 3 writes a job as a row, in the order of ``CodingKeys`` (`started_at` as
        /// seconds since 1970): `[id, kind, attempt, started_at, age_seconds, predicted_remaining_seconds,
        /// p_miss, prediction_source]`, absent values as `null`. Fifty jobs per pushed snapshot then cost
        /// neither their keys on the wire nor a keyed container and a date parse each to decode.
        public func encode(to encoder: any Encoder) throws {
            guard (encoder.userInfo[ControlMessage.versionKey] as? Int ?? ControlProtocol.version) >= 3 else {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(id, forKey: .id)
                try container.encode(kind, forKey: .kind)
                try container.encode(attempt, forKey: .attempt)
                try container.encode(startedAt, forKey: .startedAt)
                try container.encode(ageSeconds, forKey: .ageSeconds)
                try container.encodeIfPresent(predictedRemainingSeconds, forKey: .predictedRemainingSeconds)
                try container.encodeIfPresent(pMiss, forKey: .pMiss)
                try container.encodeIfPresent(predictionSource, forKey: .predictionSource)
                return
            }
            var row = encoder.unkeyedContainer()
            try row.encode(id)
            try row.encode(kind)
            try row.encode(attempt)
            try row.encode(startedAt.timeIntervalSince1970)
            try row.encode(ageSeconds)
            try row.encode(predictedRemainingSeconds)
            try row.encode(pMiss)
            try row.encode(predictionSource)
        }

        /// Reads either form: an object (versions 1 and 2) or a row (version 3).
        public init(from decoder: any Decoder) throws {
            if var row = try? decoder.unkeyedContainer() {
                id = try row.decode(JobID.self)
                kind = try row.decode(String.self)
                attempt = try row.decode(Int.self)
                startedAt = Date(timeIntervalSince1970: try row.decode(Double.self))
                ageSeconds = try row.decode(Double.self)
                predictedRemainingSeconds = try row.decode(Double?.self)
                pMiss = try row.decode(Double?.self)
                predictionSource = try row.decode(PredictionSource?.self)
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(JobID.self, forKey: .id)
            kind = try container.decode(String.self, forKey: .kind)
            attempt = try container.decode(Int.self, forKey: .attempt)
            startedAt = try container.decode(Date.self, forKey: .startedAt)
            ageSeconds = try container.decode(Double.self, forKey: .ageSeconds)
            predictedRemainingSeconds = try container.decodeIfPresent(
                Double.self, forKey: .predictedRemainingSeconds)
            pMiss = try container.decodeIfPresent(Double.self, forKey: .pMiss)
            predictionSource = try container.decodeIfPresent(PredictionSource.self, forKey: .predictionSource)
        }

        /// A job in flight, every field given.
        public init(
            id: JobID, kind: String, attempt: Int, startedAt: Date, ageSeconds: Double,
            predictedRemainingSeconds: Double? = nil, pMiss: Double? = nil, predictionSource: PredictionSource? = nil
        ) {
            self.id = id
            self.kind = kind
            self.attempt = attempt
            self.startedAt = startedAt
            self.ageSeconds = ageSeconds
            self.predictedRemainingSeconds = predictedRemainingSeconds
            self.pMiss = pMiss
            self.predictionSource = predictionSource
        }
    }

    /// A job more likely than not to miss the deadline.
    public struct LikelyMiss: Sendable, Codable, Hashable {
        public var id: JobID
        public var kind: String
        public var pMiss: Double

        private enum CodingKeys: String, CodingKey {
            case id, kind
            case pMiss = "p_miss"
        }

        public init(id: JobID, kind: String, pMiss: Double) {
            self.id = id
            self.kind = kind
            self.pMiss = pMiss
        }
    }

    /// Recent durations of one kind.
    public struct KindStats: Sendable, Codable, Hashable {
        public var kind: String
        public var inFlight: Int
        public var samples: Int
        public var p50Seconds: Double?
        public var p95Seconds: Double?
        /// What this kind's predictions rest on now.
        public var predictionSource: PredictionSource?

        private enum CodingKeys: String, CodingKey {
            case kind, samples
            case inFlight = "in_flight"
            case p50Seconds = "p50_seconds"
            case p95Seconds = "p95_seconds"
            case predictionSource = "prediction_source"
        }

        /// The statistics of one kind, every field given.
        public init(
            kind: String, inFlight: Int, samples: Int, p50Seconds: Double? = nil, p95Seconds: Double? = nil,
            predictionSource: PredictionSource? = nil
        ) {
            self.kind = kind
            self.inFlight = inFlight
            self.samples = samples
            self.p50Seconds = p50Seconds
            self.p95Seconds = p95Seconds
            self.predictionSource = predictionSource
        }
    }

    public var name: String
    public var pid: Int32
    public var time: Date
    public var phase: DrainPhase
    public var ready: Bool
    public var uptimeSeconds: Double
    /// Jobs plus tracked operations.
    public var inFlight: Int
    public var inFlightJobs: Int
    public var inFlightOperations: Int
    /// The journal has been read. Until then (the first moments after start) `queued` counts nothing yet.
    public var loaded: Bool
    public var queued: Int
    /// Jobs and tracked operations (HTTP requests) that finished.
    public var completed: Int
    public var failed: Int
    public var rejected: Int
    public var cancelled: Int
    public var requeued: Int
    public var recovered: Int
    public var maxConcurrentJobs: Int
    /// What started the drain, once it started.
    public var drainCause: DrainCause?
    public var drainStartedAt: Date?
    public var graceSeconds: Double?
    public var deadline: Date?
    /// Seconds until the deadline (negative past it); nil while running.
    public var secondsLeft: Double?
    /// Jobs and operations in flight when draining began.
    public var inFlightAtDrainStart: Int?
    /// Of those, how many have finished (or been given up).
    public var drainedSinceStart: Int?
    /// The median of the time until the last in-flight job finishes, deadline or not; nil when over a
    /// day. The same model as ``etaP50Seconds``, which stops at the deadline.
    public var etaSeconds: Double?
    /// ``expectedMisses`` rounded, while draining.
    public var predictedMisses: Int?
    /// The oldest in-flight jobs, oldest first.
    public var oldestJobs: [InFlightJob]
    public var kinds: [KindStats]
    /// The newest events, oldest first.
    public var recentEvents: [DrainEvent]
    /// The shutdown report, once stopped.
    public var report: ShutdownReport?
    /// While draining: the median and 90th percentile of the time until the last job finishes; nil when
    /// that percentile lies past the deadline.
    public var etaP50Seconds: Double?
    public var etaP90Seconds: Double?
    /// While draining: the expected number of jobs still running at the deadline, the sum of their
    /// P(miss), over every job in flight (not only the listed ones).
    public var expectedMisses: Double?
    /// While draining: how many jobs in flight have P(miss) ≥ 0.5, listed or not.
    public var likelyToMissCount: Int?
    /// While draining: the listed jobs with P(miss) ≥ 0.5, most likely first.
    public var likelyToMiss: [LikelyMiss]?
    /// While running: what a drain started now with the default grace would do.
    public var plan: DrainPlan?
    /// Of ``completed``, how many were tracked operations; nil from a pool that does not count them apart.
    public var completedOperations: Int?
    /// For a shared journal (PostgreSQL), whether its last call succeeded; nil for a private journal.
    /// `queued` is then the fleet's queue, not this process's.
    public var journalReachable: Bool?
    /// For a shared journal (PostgreSQL): the fleet's jobs waiting for rescue, left `running` under a worker
    /// that is gone (its process ended, its lease ran out, or it stopped) until a live worker puts them back
    /// in the queue. Work the fleet still owes, next to `queued`; nil for a private journal, and from a pool
    /// that does not count it.
    public var waitingForRescue: Int?

    private enum CodingKeys: String, CodingKey {
        case name, pid, time, phase, ready, loaded, queued, completed, failed, rejected, cancelled, requeued, recovered,
            deadline, kinds, report
        case uptimeSeconds = "uptime_seconds"
        case inFlight = "in_flight"
        case inFlightJobs = "in_flight_jobs"
        case inFlightOperations = "in_flight_operations"
        case maxConcurrentJobs = "max_concurrent_jobs"
        case drainCause = "drain_cause"
        case drainStartedAt = "drain_started_at"
        case graceSeconds = "grace_seconds"
        case secondsLeft = "seconds_left"
        case inFlightAtDrainStart = "in_flight_at_drain_start"
        case drainedSinceStart = "drained_since_start"
        case etaSeconds = "eta_seconds"
        case predictedMisses = "predicted_misses"
        case oldestJobs = "oldest_jobs"
        case recentEvents = "recent_events"
        case etaP50Seconds = "eta_p50_seconds"
        case etaP90Seconds = "eta_p90_seconds"
        case expectedMisses = "expected_misses"
        case likelyToMissCount = "likely_to_miss_count"
        case likelyToMiss = "likely_to_miss"
        case plan
        case completedOperations = "completed_operations"
        case journalReachable = "journal_reachable"
        case waitingForRescue = "waiting_for_rescue"
    }

    /// A snapshot with every field given; a pool makes its own with `WorkerPool.snapshot()`.
    public init(
        name: String, pid: Int32, time: Date, phase: DrainPhase, ready: Bool, uptimeSeconds: Double, inFlight: Int,
        inFlightJobs: Int, inFlightOperations: Int, loaded: Bool, queued: Int, completed: Int, failed: Int,
        rejected: Int, cancelled: Int, requeued: Int, recovered: Int, maxConcurrentJobs: Int,
        drainCause: DrainCause? = nil, drainStartedAt: Date? = nil, graceSeconds: Double? = nil, deadline: Date? = nil,
        secondsLeft: Double? = nil, inFlightAtDrainStart: Int? = nil, drainedSinceStart: Int? = nil,
        etaSeconds: Double? = nil, predictedMisses: Int? = nil, oldestJobs: [InFlightJob], kinds: [KindStats],
        recentEvents: [DrainEvent], report: ShutdownReport? = nil, completedOperations: Int? = nil
    ) {
        self.name = name
        self.pid = pid
        self.time = time
        self.phase = phase
        self.ready = ready
        self.uptimeSeconds = uptimeSeconds
        self.inFlight = inFlight
        self.inFlightJobs = inFlightJobs
        self.inFlightOperations = inFlightOperations
        self.loaded = loaded
        self.queued = queued
        self.completed = completed
        self.failed = failed
        self.rejected = rejected
        self.cancelled = cancelled
        self.requeued = requeued
        self.recovered = recovered
        self.maxConcurrentJobs = maxConcurrentJobs
        self.drainCause = drainCause
        self.drainStartedAt = drainStartedAt
        self.graceSeconds = graceSeconds
        self.deadline = deadline
        self.secondsLeft = secondsLeft
        self.inFlightAtDrainStart = inFlightAtDrainStart
        self.drainedSinceStart = drainedSinceStart
        self.etaSeconds = etaSeconds
        self.predictedMisses = predictedMisses
        self.oldestJobs = oldestJobs
        self.kinds = kinds
        self.recentEvents = recentEvents
        self.report = report
        self.completedOperations = completedOperations
    }
}

extension PoolSnapshot {
    /// A snapshot of an idle, running pool: every count zero, no drain, no jobs.
    ///
    /// For tests and tools that build snapshots by hand (the dashboard's layout tests); set the other
    /// properties afterwards. A pool makes its own snapshots with ``WorkerPool/snapshot()``.
    public init(name: String, pid: Int32, phase: DrainPhase = .running, time: Date = Date()) {
        self.init(
            name: name, pid: pid, time: time, phase: phase, ready: phase.isReady, uptimeSeconds: 0, inFlight: 0,
            inFlightJobs: 0, inFlightOperations: 0, loaded: true, queued: 0, completed: 0, failed: 0, rejected: 0,
            cancelled: 0,
            requeued: 0, recovered: 0, maxConcurrentJobs: 0, drainCause: nil, drainStartedAt: nil, graceSeconds: nil,
            deadline: nil, secondsLeft: nil, inFlightAtDrainStart: nil, drainedSinceStart: nil, etaSeconds: nil,
            predictedMisses: nil, oldestJobs: [], kinds: [], recentEvents: [], report: nil
        )
    }
}

extension PoolSnapshot.InFlightJob {
    /// A job in flight, as a tool or a test describes it.
    public init(id: JobID, kind: String, ageSeconds: Double, predictedRemainingSeconds: Double?, attempt: Int = 1) {
        self.init(
            id: id, kind: kind, attempt: attempt, startedAt: Date(timeIntervalSinceNow: -ageSeconds),
            ageSeconds: ageSeconds, predictedRemainingSeconds: predictedRemainingSeconds
        )
    }
}
