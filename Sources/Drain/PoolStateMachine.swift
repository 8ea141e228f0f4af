import Foundation

/// The pool's whole logic as a value: events in, with the time they happened, and actions out.
///
/// It reads no clock, starts no task, takes no lock and calls nothing foreign. ``WorkerPool`` keeps it in
/// a `Mutex`, feeds it events and performs the returned ``Action`` after the lock, so every phase and
/// every transition can be tested by driving the machine alone, in microseconds and without sleeping
/// (postgres-nio's `PoolStateMachine` is the model; ``LeaseStateMachine`` in DrainPostgres is ours).
///
/// The events are its `mutating` methods: `PoolStateMachine+Work.swift` holds what happens to jobs,
/// submits and operations, `PoolStateMachine+Drain.swift` the phases, the deadline and the stop. The
/// runner and the snapshot read its stored values; only those methods change them.
struct PoolStateMachine {
    /// The time an event happened: the pool's monotonic offset, and the wall-clock time for what operators
    /// read (event times, the report).
    struct Now: Sendable {
        var offset: Duration
        var date: Date
    }

    /// The one timer the pool needs (lame duck's end, the deadline, or the cancellation window's end), as
    /// a value the runner arms; it comes back as ``PoolStateMachine/timerFired(_:at:)``. A newer timer
    /// replaces an older one: a stale one that still fires is ignored by its generation.
    struct Timer: Sendable, Hashable {
        var generation: Int
        var deadline: Duration
    }

    enum Lifecycle {
        case idle
        case running
        case finished
    }

    /// What the dispatcher (the loop that starts jobs and ends the drain) should do next.
    enum Step: Equatable {
        /// Ask the journal for up to this many jobs, then report ``claimed(_:requested:at:)``.
        case claim(Int)
        /// The cancellation window closed: settle these jobs as requeued in the journal.
        case abandon([JobOutcome])
        /// Nothing is left in flight: sync the journal, then report ``stopped(at:pid:)``.
        case stop
        /// Nothing to do until something wakes the dispatcher.
        case wait
    }

    let configuration: WorkerPoolConfiguration

    var lifecycle = Lifecycle.idle
    /// The journal's counts are loaded; until then submits wait, so nothing is counted twice.
    var loaded = false
    var phase = DrainPhase.running
    /// Kinds with a handler; the handlers themselves are the runner's.
    var kinds: Set<String> = []
    /// kind → the expected duration its application declared.
    var declared: [String: DeclaredDuration] = [:]

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
    /// Tracked operations in flight: id → name and start.
    var operations: [UInt64: (name: String, started: Duration)] = [:]
    var nextOperationID: UInt64 = 0
    /// Submits waiting for room, oldest (lowest ticket) first.
    var waiters: [UInt64] = []
    var nextTicket: UInt64 = 0

    /// Jobs and tracked operations that finished; ``completedOperations`` of them were operations.
    var completed = 0
    var completedOperations = 0
    var failed = 0
    var rejected = 0
    var cancelled = 0
    var requeued = 0
    var recovered = 0
    var stats: [String: DurationSamples] = [:]

    var drainCause: DrainCause?
    var grace: Duration?
    /// A grace the planner is to choose (`drain(plannedGraceUpTo:)`): set until the runner brings the
    /// plan back as ``gracePlanned(_:at:)``.
    var plan: GracePlan?
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
    /// When the lame duck began, for the timeline.
    var lameDuckStartedAt: Date?
    /// The drain in time, from its start: see ``DrainTimeline``.
    var timeline: DrainTimeline?
    /// Lanes of the timeline by job, and by tracked operation.
    var jobLanes: [JobID: Int] = [:]
    var operationLanes: [UInt64: Int] = [:]

    var timer: Timer?
    var timerGeneration = 0
    /// The newest snapshot tick's number: an older tick that fires is ignored.
    var tickGeneration = 0

    var recentEvents: [DrainEvent] = []
    var nextSeq = 1
    /// The latest time an event brought: times from racing threads are clamped to it, so the machine's
    /// clock never runs backwards.
    var latest = Duration.zero

    init(configuration: WorkerPoolConfiguration) {
        self.configuration = configuration
    }

    /// Jobs and tracked operations in flight.
    var inFlightTotal: Int { inFlight.count + operations.count }

    /// Seconds until the deadline: in lame duck the lame duck left plus the grace, 0 once forcing or when
    /// there is no drain.
    func secondsLeft(at now: Duration) -> Double {
        switch phase {
        case .lameDuck:
            let lameDuckLeft = max(.zero, (lameDuckEnds ?? now) - now)
            return (lameDuckLeft + (grace ?? configuration.defaultGrace)).seconds
        case .draining:
            return max(.zero, (deadline ?? now) - now).seconds
        case .running, .forcing, .stopped:
            return 0
        }
    }

    /// The gauges that follow the state, for the runner to set after the lock.
    func gauges(at now: Duration) -> PoolMetrics.Gauges {
        PoolMetrics.Gauges(
            phase: phase, inFlight: inFlightTotal, queued: queued, secondsLeft: secondsLeft(at: now),
            waitingForRescue: waitingForRescue ?? 0)
    }

    /// A fixed number of slots: pending submits and durable queued jobs together.
    var hasRoom: Bool { loaded && queued + reserved < configuration.maxQueuedJobs }

    // MARK: Helpers the transitions share

    /// The event's time, never before an earlier event's.
    mutating func clamp(_ now: Now) -> Now {
        latest = max(latest, now.offset)
        return Now(offset: latest, date: now.date)
    }

    /// Records an event among the recent ones and in `action`, to be published and logged after the lock.
    mutating func record(
        _ kind: DrainEvent.Kind, _ message: String, at now: Now, cause: DrainCause? = nil, job: Job? = nil,
        ran: Duration? = nil, into action: inout Action
    ) {
        let event = DrainEvent(
            seq: nextSeq, time: now.date, kind: kind, phase: phase, cause: cause, message: message,
            jobID: job?.id, jobKind: job?.kind, ranSeconds: ran?.seconds, graceSeconds: grace?.seconds
        )
        nextSeq += 1
        recentEvents.append(event)
        switch kind {
        case .started, .phaseChanged, .deadlineChanged, .stopped: action.publishSnapshot = true
        default: break
        }
        let limit = max(1, configuration.snapshotEventLimit)
        if recentEvents.count > limit { recentEvents.removeFirst(recentEvents.count - limit) }
        action.events.append(event)
    }

    /// Arms the single timer, replacing any earlier one.
    mutating func arm(at deadline: Duration, into action: inout Action) {
        timerGeneration += 1
        let timer = Timer(generation: timerGeneration, deadline: deadline)
        self.timer = timer
        action.armTimer = timer
    }

    /// Arms the snapshot tick one interval from `now`, replacing any earlier one.
    mutating func armTick(at now: Now, into action: inout Action) {
        guard let interval = configuration.snapshotInterval else { return }
        tickGeneration += 1
        action.armTick = Timer(generation: tickGeneration, deadline: now.offset + interval)
    }

    /// The snapshot tick fired: publish, and arm the next one while the pool runs.
    ///
    /// Numbered like ``timer``: the runner starts a tick's task before it stores it, so on a loaded machine
    /// the new tick can fire and arm the next one first. Without the generation the late store replaced the
    /// newest tick with a finished one, and the pool never published again: `status` froze.
    mutating func tickFired(_ generation: Int, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        guard lifecycle == .running, generation == tickGeneration else { return action }
        action.publishSnapshot = true
        armTick(at: now, into: &action)
        return action
    }

    /// Work may be waiting in a shared queue: a claim should look.
    mutating func noteNews() {
        newsSeq &+= 1
        claimable = true
    }

    /// Hands free slots to waiting submits, oldest first; refuses them all once the pool stopped accepting.
    mutating func admitWaiters(into action: inout Action) {
        guard !waiters.isEmpty else { return }
        if !phase.acceptsWork {
            action.refuseWaiters += waiters
            rejected += waiters.count
            action.metrics.rejected += waiters.count
            waiters = []
            return
        }
        while let first = waiters.first, hasRoom {
            waiters.removeFirst()
            reserved += 1
            action.resumeWaiters.append(first)
        }
    }

    /// The wall-clock time of an offset on the pool's clock, as seen at `now`.
    func date(of offset: Duration, at now: Now) -> Date { now.date.addingTimeInterval((offset - now.offset).seconds) }

    /// Ends a job's lane in the timeline, if the drain has one for it.
    mutating func endLane(job id: JobID, _ fate: DrainTimeline.Fate, at now: Now) {
        guard let index = jobLanes.removeValue(forKey: id) else { return }
        timeline?.lanes[index].endedAt = now.date
        timeline?.lanes[index].fate = fate
    }

    /// Ends a tracked operation's lane in the timeline, if the drain has one for it.
    mutating func endLane(operation id: UInt64, _ fate: DrainTimeline.Fate, at now: Now) {
        guard let index = operationLanes.removeValue(forKey: id) else { return }
        timeline?.lanes[index].endedAt = now.date
        timeline?.lanes[index].fate = fate
    }

    /// Records a deadline set or moved, for the timeline.
    mutating func markDeadline(cause: DrainCause?, at now: Now) {
        guard let deadline else { return }
        let mark = DrainTimeline.DeadlineMark(at: now.date, deadline: date(of: deadline, at: now), cause: cause)
        timeline?.deadlines.append(mark)
    }

    /// The forecast made when the drain began, computed by the runner after the lock (predictions are too
    /// costly to make under it): the drain's ETA and expected misses, and each listed job's chance to miss.
    mutating func forecastNoted(_ forecast: DrainTimeline.Forecast, pMiss: [JobID: Double]) {
        guard timeline != nil, timeline?.forecast == nil else { return }
        timeline?.forecast = forecast
        for (id, p) in pMiss {
            if let index = jobLanes[id] { timeline?.lanes[index].pMissAtStart = p }
        }
    }

    mutating func addSample(_ kind: String, _ ran: Duration, censored: Bool = false) {
        stats[kind, default: DurationSamples()].add(ran.seconds, censored: censored)
    }

    mutating func newOperationID() -> UInt64 {
        defer { nextOperationID += 1 }
        return nextOperationID
    }

    mutating func newTicket() -> UInt64 {
        nextTicket += 1
        return nextTicket
    }

    mutating func setLifecycle(_ lifecycle: Lifecycle) { self.lifecycle = lifecycle }
    mutating func setLoaded(queued: Int, shared: Bool, recovered: Int) {
        self.queued = queued
        self.shared = shared
        self.recovered = recovered
        if shared { journalReachable = true }
        loaded = true
    }
}
