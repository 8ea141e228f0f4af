import Foundation

/// Everything the pool knows, guarded by one `Mutex` in ``WorkerPool``.
///
/// Methods here only change values and record events; tasks and timers are started by the pool.
struct PoolState {
    struct Operation {
        var name: String
        var started: Duration
        var cancel: (@Sendable () -> Void)?
    }

    enum Lifecycle {
        case idle
        case running
        case finished
    }

    var lifecycle = Lifecycle.idle
    /// The journal's counts are loaded; until then submits wait, so nothing is counted twice.
    var loaded = false
    var phase = DrainPhase.running
    var handlers: [String: JobHandler] = [:]

    /// Durable and not yet claimed.
    var queued = 0
    /// Slots taken by submits whose journal write has not returned yet.
    var reserved = 0
    var claiming = false
    /// The journal has other consumers: `queued` is the shared queue's last known count, a hint.
    var shared = false
    /// Shared journals only: a claim may find work. Cleared by a claim that found fewer jobs than it asked
    /// for, set by a local submit and by the journal's news, so an empty queue is not polled in a loop.
    var claimable = true
    /// Shared journals only: whether the journal's last call succeeded.
    var journalReachable: Bool?
    /// Shared journals only: the fleet's jobs waiting for rescue, as the journal last counted them.
    var waitingForRescue: Int?
    /// Shared journals only: counts news (a submit, a notification, a poll) so that a claim that began
    /// before the news and found nothing does not clear ``claimable`` over it.
    var newsSeq: UInt64 = 0
    var claimSeq: UInt64 = 0
    var inFlight = InFlightIndex()
    var operations: [UInt64: Operation] = [:]
    var nextOperationID: UInt64 = 0
    var spaceWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    var nextWaiterID: UInt64 = 0

    /// Jobs and tracked operations that finished; ``completedOperations`` of them were operations.
    var completed = 0
    var completedOperations = 0
    var failed = 0
    var rejected = 0
    var cancelled = 0
    var requeued = 0
    var recovered = 0
    var stats: [String: DurationSamples] = [:]
    /// kind → the expected duration its application declared.
    var declared: [String: DeclaredDuration] = [:]

    var drainCause: DrainCause?
    var grace: Duration?
    var drainStarted: Duration?
    var drainStartedAt: Date?
    var deadline: Duration?
    /// When the lame duck ends and draining begins, while in lame duck.
    var lameDuckEnds: Duration?
    var inFlightAtDrainStart = 0
    var settledSinceDrainStart = 0
    var windowExpired = false
    var reportJobs: [ShutdownReport.JobEntry] = []
    var report: ShutdownReport?

    var timerGeneration = 0
    var timer: Task<Void, Never>?

    var recentEvents: [DrainEvent] = []
    var nextSeq = 1

    // What was decided under the lock but must run after it: publishing resumes subscribers'
    // continuations and cancelling runs tasks' cancellation handlers, and either may call back into
    // the pool. ``WorkerPool/runDeferred()`` takes them out and runs them.

    /// Events recorded and not yet handed to the subscribers, in `seq` order.
    var unpublished: [DrainEvent] = []
    /// Someone is handing events over now; others leave theirs to it, so the order stays `seq` order.
    var publishing = false
    /// The `stopped` event is recorded: end the subscriptions once it has been handed over.
    var finishSubscriptions = false
    /// Task cancellations and operations' cancel closures to run.
    var pendingCancels: [@Sendable () -> Void] = []

    /// Work may be waiting in a shared queue: a claim should look.
    mutating func noteNews() {
        newsSeq &+= 1
        claimable = true
    }

    var inFlightTotal: Int { inFlight.count + operations.count }

    /// Seconds until the deadline: in lame duck the lame duck left plus the grace, 0 once forcing or when
    /// there is no drain.
    func secondsLeft(at now: Duration, defaultGrace: Duration) -> Double {
        switch phase {
        case .lameDuck:
            let lameDuckLeft = max(.zero, (lameDuckEnds ?? now) - now)
            return (lameDuckLeft + (grace ?? defaultGrace)).seconds
        case .draining:
            return max(.zero, (deadline ?? now) - now).seconds
        case .running, .forcing, .stopped:
            return 0
        }
    }

    /// Builds an event, keeps it among the recent ones and returns it for publishing.
    mutating func event(
        _ kind: DrainEvent.Kind, _ message: String, cause: DrainCause? = nil, job: Job? = nil,
        ran: Duration? = nil, limit: Int
    ) -> DrainEvent {
        let event = DrainEvent(
            seq: nextSeq, time: Date(), kind: kind, phase: phase, cause: cause, message: message,
            jobID: job?.id, jobKind: job?.kind, ranSeconds: ran?.seconds, graceSeconds: grace?.seconds
        )
        nextSeq += 1
        recentEvents.append(event)
        unpublished.append(event)
        if recentEvents.count > limit { recentEvents.removeFirst(recentEvents.count - limit) }
        return event
    }

    /// A fixed number of slots: pending submits and durable queued jobs together.
    func hasRoom(maxQueued: Int) -> Bool { loaded && queued + reserved < maxQueued }
}
