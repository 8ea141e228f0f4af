import Foundation

/// Where jobs live between `submit` and completion, so that nothing accepted is lost.
///
/// The pool calls these methods in batches (group commit). ``append(_:)`` must be durable before it
/// returns: that is the promise `submit` makes. ``claim(limit:)`` and ``settle(_:)`` must survive a crash
/// of the process, and may wait for the next durable write or ``sync()`` to survive a power cut: losing one
/// of them only runs a job again, which at-least-once delivery allows. `SQLiteJournal` (in `DrainSQLite`) is
/// the embedded backend; `PostgresJournal` (in `DrainPostgres`) is the shared one, so that a draining
/// host's unfinished jobs are picked up by the others. Drain itself links no storage engine.
///
/// A *shared* journal (``isShared``) has other consumers: the pool then treats its own `queued` count as a
/// hint refreshed by ``updates(status:)``, claims whenever a slot is free and the journal says work may be
/// there, and retries writing outcomes instead of leaving them for the next start.
public protocol JobJournal: Sendable {
    /// Moves rows left `running` by a process that died back to `queued`.
    ///
    /// A journal this process alone uses recovers every `running` row, because no one else can be running
    /// them. A shared journal registers this worker and recovers only dead workers' rows, so that a live
    /// worker's jobs are never taken from it.
    /// - Returns: How many rows were recovered.
    func recover() async throws -> Int

    /// Stores new jobs as `queued`.
    /// - Returns: Their identifiers, in the order given.
    func append(_ jobs: [NewJob]) async throws -> [JobID]

    /// Marks up to `limit` of the oldest queued jobs `running`, counts the attempt and returns them.
    func claim(limit: Int) async throws -> [Job]

    /// Records what became of started jobs: done, failed, or back to queued.
    func settle(_ outcomes: [JobOutcome]) async throws

    /// The number of jobs in each state.
    func counts() async throws -> JournalCounts

    /// Makes every earlier call durable; the pool calls it once it has stopped.
    func sync() async throws

    /// Whether other processes consume the same queue.
    var isShared: Bool { get }

    /// News from outside this process, for as long as the pool runs: the shared queue's count, jobs that
    /// were added or handed back, dead workers' jobs this worker rescued, and whether the journal answers.
    ///
    /// The pool calls it once, from ``WorkerPool/run()``, and consumes the stream until it stops.
    /// - Parameter status: What the pool is doing now, for the journal's workers table; the journal calls
    ///   it without holding any lock of its own.
    func updates(status: @escaping @Sendable () -> WorkerStatus) -> AsyncStream<JournalUpdate>

    /// How long the most recent finished runs (done or failed) of each kind took, newest first, at most
    /// `limit` per kind: read once at start, so a restarted pool predicts from what its predecessors
    /// observed (on a shared journal, the whole fleet).
    /// - Returns: kind → durations in seconds.
    func recentDurations(limit: Int) async throws -> [String: [Double]]

    /// Like ``recentDurations(limit:)``, with the runs cut short as well: the most recent runs of each
    /// kind that finished (done or failed) or were cut by a forced drain or a cancellation and requeued
    /// (``RunDuration/censored``), newest first, at most `limit` per kind. The pool reads this one at
    /// start; a journal that keeps no cut runs need not implement it.
    /// - Returns: kind → runs.
    func recentRuns(limit: Int) async throws -> [String: [RunDuration]]

    /// Keeps one drain's report in the journal's drain history, and prunes the history to its retention.
    ///
    /// The pool calls it once, as it stops after a drain, with the report it hands out (timeline included);
    /// a failure is logged and changes nothing else. A journal that keeps no history need not implement it.
    /// - Returns: The drain's ID in the history (`drainctl report ID`), which the pool's final report then
    ///   carries; nil when the journal keeps no history.
    @discardableResult
    func recordDrain(_ report: ShutdownReport) async throws -> Int64?

    /// Whether the journal keeps a drain history that ``drainHistory(limit:)`` and ``drain(id:)`` read:
    /// a journal that implements ``recordDrain(_:)`` says so here, so that the pool's control socket can
    /// tell "no drain yet" from "no history kept" (`no_history`). False by default.
    var keepsDrainHistory: Bool { get }

    /// The newest drains of the history, newest first, each report carrying its ID (`history_id`).
    /// - Parameter limit: The most returned.
    /// - Throws: ``DrainError`` ``DrainError/Code/journal`` when the history cannot be read.
    func drainHistory(limit: Int) async throws -> [DrainHistoryEntry]

    /// One drain of the history, its report carrying its ID; nil when it is not (or no longer) kept.
    /// - Throws: ``DrainError`` ``DrainError/Code/journal`` when the history cannot be read.
    func drain(id: Int64) async throws -> DrainHistoryEntry?
}

extension JobJournal {
    /// A journal whose every call is already durable has nothing to do.
    public func sync() async throws {}

    /// A journal is private to its process unless it says otherwise.
    public var isShared: Bool { false }

    /// A private journal has no news: nothing else changes it.
    public func updates(status: @escaping @Sendable () -> WorkerStatus) -> AsyncStream<JournalUpdate> {
        AsyncStream { $0.finish() }
    }

    /// A journal that keeps no durations: predictions start from the priors.
    public func recentDurations(limit: Int) async throws -> [String: [Double]] { [:] }

    /// A journal that keeps no cut runs: its finished durations, none censored.
    public func recentRuns(limit: Int) async throws -> [String: [RunDuration]] {
        try await recentDurations(limit: limit).mapValues { $0.map { RunDuration(seconds: $0) } }
    }

    /// A journal that keeps no drain history forgets the report.
    @discardableResult
    public func recordDrain(_ report: ShutdownReport) async throws -> Int64? { nil }

    /// A journal keeps no drain history unless it says so.
    public var keepsDrainHistory: Bool { false }

    /// A journal that keeps no drain history has none to read.
    public func drainHistory(limit: Int) async throws -> [DrainHistoryEntry] { [] }

    /// A journal that keeps no drain history has no drain to read.
    public func drain(id: Int64) async throws -> DrainHistoryEntry? { nil }
}

/// What a shared journal tells the pool.
public struct JournalUpdate: Sendable, Hashable {
    /// Jobs queued in the shared queue, when the journal just counted them.
    public var queued: Int?
    /// Jobs may be waiting: someone appended or handed some back (a notification or a poll).
    public var wake: Bool
    /// Dead workers' jobs this worker just put back in the queue.
    public var rescued: Int
    /// Whether the journal's last call succeeded; nil when this update says nothing about it.
    public var reachable: Bool?
    /// Jobs left running under gone workers, waiting for rescue, when the journal just counted them.
    public var waitingForRescue: Int?

    public init(
        queued: Int? = nil, wake: Bool = false, rescued: Int = 0, reachable: Bool? = nil, waitingForRescue: Int? = nil
    ) {
        self.queued = queued
        self.wake = wake
        self.rescued = rescued
        self.reachable = reachable
        self.waitingForRescue = waitingForRescue
    }
}

/// A small summary of a pool, which a shared journal keeps in its workers table for the fleet view.
///
/// While draining it carries what the pool's own screen shows of the drain: the grace, the progress, and
/// the prediction (the ETA's p50 and p90, the expected misses), so a fleet row reads like a host row.
public struct WorkerStatus: Sendable, Hashable {
    public var phase: DrainPhase
    public var inFlight: Int
    /// The drain's deadline, once draining.
    public var deadline: Date?
    /// Jobs and operations finished (or given up) since the drain started.
    public var drainedSinceStart: Int?
    /// The grace the drain was given, once draining: the countdown bar's full length.
    public var graceSeconds: Double?
    /// Jobs and operations in flight when the drain started: what `drainedSinceStart` counts towards.
    public var inFlightAtDrainStart: Int?
    /// When the last job in flight should end, from now: p50 and p90; nil p90 means "past the deadline".
    public var etaP50Seconds: Double?
    public var etaP90Seconds: Double?
    /// The jobs in flight expected to miss the deadline (the sum of their probabilities).
    public var expectedMisses: Double?

    public init(
        phase: DrainPhase, inFlight: Int, deadline: Date? = nil, drainedSinceStart: Int? = nil,
        graceSeconds: Double? = nil, inFlightAtDrainStart: Int? = nil, etaP50Seconds: Double? = nil,
        etaP90Seconds: Double? = nil, expectedMisses: Double? = nil
    ) {
        self.phase = phase
        self.inFlight = inFlight
        self.deadline = deadline
        self.drainedSinceStart = drainedSinceStart
        self.graceSeconds = graceSeconds
        self.inFlightAtDrainStart = inFlightAtDrainStart
        self.etaP50Seconds = etaP50Seconds
        self.etaP90Seconds = etaP90Seconds
        self.expectedMisses = expectedMisses
    }
}

/// A job as submitted, before it has an identifier.
public struct NewJob: Sendable, Hashable {
    public var kind: String
    public var payload: Data

    public init(kind: String, payload: Data) {
        self.kind = kind
        self.payload = payload
    }
}

/// The end of one run of a job.
public struct JobOutcome: Sendable, Hashable {
    public enum Result: Sendable, Hashable {
        /// The handler returned.
        case done
        /// The handler threw; the job is not retried.
        case failed(String)
        /// The run was cancelled or abandoned by a forced drain, or never started: back to queued.
        case requeued
        /// Claimed but never started (the drain began first): back to queued, the attempt not counted.
        case released
    }

    public var id: JobID
    public var result: Result

    public init(id: JobID, result: Result) {
        self.id = id
        self.result = result
    }
}

/// How many jobs are in each journal state.
public struct JournalCounts: Sendable, Hashable, Codable {
    public var queued: Int
    public var running: Int
    public var done: Int
    public var failed: Int

    public init(queued: Int = 0, running: Int = 0, done: Int = 0, failed: Int = 0) {
        self.queued = queued
        self.running = running
        self.done = done
        self.failed = failed
    }
}
