#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What happened during one drain, in time: each job in flight as a lane from its start to its end, the
/// deadline and its moves, the forcing, and the forecast made when the drain began.
///
/// A ``ShutdownReport`` carries it, so a drain can be kept in the journal's history and drawn afterwards
/// (`drainctl report`). Its size is bounded: at most ``laneLimit`` lanes, the oldest first, and
/// ``lanesOmitted`` says how many more there were.
public struct DrainTimeline: Sendable, Codable, Hashable {
    /// How a lane ended.
    public enum Fate: String, Sendable, Codable, Hashable {
        /// The handler returned (or the operation answered).
        case done
        /// The handler threw.
        case failed
        /// Cancelled by forcing and put back in the queue (or, for an operation, answered as cancelled).
        case cancelled
        /// Ignored cancellation until the window closed: abandoned and put back in the queue.
        case abandoned
    }

    /// One job or tracked operation in flight during the drain.
    public struct Lane: Sendable, Codable, Hashable {
        /// The job's identifier; nil for a tracked operation.
        public var id: JobID?
        /// The job's kind, or the operation's name.
        public var kind: String
        public var startedAt: Date
        /// nil while it runs (a timeline taken before the stop).
        public var endedAt: Date?
        public var fate: Fate?
        /// The chance it would miss the deadline, as forecast when the drain began (listed jobs only).
        public var pMissAtStart: Double?

        private enum CodingKeys: String, CodingKey {
            case id, kind, fate
            case startedAt = "started_at"
            case endedAt = "ended_at"
            case pMissAtStart = "p_miss_at_start"
        }

        public init(
            id: JobID?, kind: String, startedAt: Date, endedAt: Date? = nil, fate: Fate? = nil,
            pMissAtStart: Double? = nil
        ) {
            self.id = id
            self.kind = kind
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.fate = fate
            self.pMissAtStart = pMissAtStart
        }
    }

    /// A deadline set or moved: the first is the drain's own.
    public struct DeadlineMark: Sendable, Codable, Hashable {
        public var at: Date
        public var deadline: Date
        public var cause: DrainCause?

        public init(at: Date, deadline: Date, cause: DrainCause? = nil) {
            self.at = at
            self.deadline = deadline
            self.cause = cause
        }
    }

    /// The forecast made when the drain began: when the last job should end, and how many would miss.
    public struct Forecast: Sendable, Codable, Hashable {
        public var etaP50Seconds: Double?
        /// nil: past the deadline.
        public var etaP90Seconds: Double?
        public var expectedMisses: Double?

        private enum CodingKeys: String, CodingKey {
            case etaP50Seconds = "eta_p50_seconds"
            case etaP90Seconds = "eta_p90_seconds"
            case expectedMisses = "expected_misses"
        }

        public init(etaP50Seconds: Double?, etaP90Seconds: Double?, expectedMisses: Double?) {
            self.etaP50Seconds = etaP50Seconds
            self.etaP90Seconds = etaP90Seconds
            self.expectedMisses = expectedMisses
        }
    }

    /// The most lanes a timeline keeps.
    public static let laneLimit = 500

    public var lameDuckStartedAt: Date?
    public var drainStartedAt: Date
    public var forcedAt: Date?
    public var deadlines: [DeadlineMark]
    public var lanes: [Lane]
    /// Lanes past ``laneLimit``, not kept.
    public var lanesOmitted: Int
    public var forecast: Forecast?

    private enum CodingKeys: String, CodingKey {
        case deadlines, lanes, forecast
        case lameDuckStartedAt = "lame_duck_started_at"
        case drainStartedAt = "drain_started_at"
        case forcedAt = "forced_at"
        case lanesOmitted = "lanes_omitted"
    }

    public init(
        lameDuckStartedAt: Date? = nil, drainStartedAt: Date, forcedAt: Date? = nil, deadlines: [DeadlineMark] = [],
        lanes: [Lane] = [], lanesOmitted: Int = 0, forecast: Forecast? = nil
    ) {
        self.lameDuckStartedAt = lameDuckStartedAt
        self.drainStartedAt = drainStartedAt
        self.forcedAt = forcedAt
        self.deadlines = deadlines
        self.lanes = lanes
        self.lanesOmitted = lanesOmitted
        self.forecast = forecast
    }
}
