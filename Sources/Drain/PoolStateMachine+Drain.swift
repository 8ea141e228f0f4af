import Foundation

/// The phases: running → [lame duck] → draining → [forcing] → stopped, never backwards; the deadline and
/// its moves; what the dispatcher does next; and the stop.
extension PoolStateMachine {
    // MARK: Starting and moving the drain

    /// A grace the planner chooses: at most `cap`, counted from `from` (nil: the drain's start, as a grace
    /// given before the drain began is; for a drain already in progress, the request's time).
    struct GracePlan: Sendable, Equatable {
        var cap: Duration
        var from: Duration?
    }

    /// Starts the drain, or moves its deadline when it already started (see ``WorkerPool/drain(grace:cause:)``).
    /// - Throws: ``DrainError`` `invalidArgument` for a negative grace.
    mutating func drain(grace: Duration?, cause: DrainCause, at now: Now) throws(DrainError) -> (DrainPhase, Action) {
        try drain(grace, planned: false, cause: cause, at: now)
    }

    /// Starts the drain (or moves the deadline of one in progress) with a grace the planner chooses once
    /// draining has begun, at most `cap` (see ``WorkerPool/drain(plannedGraceUpTo:cause:)``).
    ///
    /// Until the plan comes back (``gracePlanned(_:at:)``) the deadline stands at the cap (on a drain
    /// already in progress, where it was). The action asks the runner to plan (``Action/planGrace``) as
    /// the drain begins: at once, or when the lame duck ends; while draining, at once.
    /// - Throws: ``DrainError`` `invalidArgument` for a negative cap.
    mutating func drain(
        plannedGraceUpTo cap: Duration, cause: DrainCause, at now: Now
    ) throws(DrainError) -> (DrainPhase, Action) {
        try drain(cap, planned: true, cause: cause, at: now)
    }

    private mutating func drain(
        _ grace: Duration?, planned: Bool, cause: DrainCause, at now: Now
    ) throws(DrainError) -> (DrainPhase, Action) {
        let now = clamp(now)
        let grace = grace ?? configuration.defaultGrace
        guard grace >= .zero else { throw DrainError(.invalidArgument, "the grace must not be negative") }
        var action = Action()
        // An explicit grace replaces a plan not yet made, and a new plan replaces an explicit grace.
        switch phase {
        case .running:
            drainCause = cause
            self.grace = grace
            plan = planned ? GracePlan(cap: grace, from: nil) : nil
            if configuration.lameDuck > .zero {
                phase = .lameDuck
                lameDuckStartedAt = now.date
                let then =
                    planned ? "a drain with a planned grace of at most \(format(grace))" : "a \(format(grace)) drain"
                record(
                    .phaseChanged, "lame duck for \(format(configuration.lameDuck)) started by \(cause), then \(then)",
                    at: now, cause: cause, into: &action)
                lameDuckEnds = now.offset + configuration.lameDuck
                arm(at: now.offset + configuration.lameDuck, into: &action)
            } else {
                beginDraining(at: now, into: &action)
            }
        case .lameDuck:
            self.grace = grace
            plan = planned ? GracePlan(cap: grace, from: nil) : nil
            let what =
                planned
                ? "grace to be planned as the drain starts, at most \(format(grace)),"
                : "grace set to \(format(grace))"
            record(.deadlineChanged, "\(what) by \(cause)", at: now, cause: cause, into: &action)
        case .draining where planned:
            plan = GracePlan(cap: grace, from: now.offset)
            action.planGrace = true
        case .draining:
            plan = nil
            self.grace = (now.offset - (drainStarted ?? now.offset)) + grace
            deadline = now.offset + grace
            markDeadline(cause: cause, at: now)
            arm(at: now.offset + grace, into: &action)
            record(
                .deadlineChanged, "deadline moved to \(format(grace)) from now by \(cause)", at: now, cause: cause,
                into: &action)
        case .forcing, .stopped:
            break
        }
        admitWaiters(into: &action)
        action.wake = true
        return (phase, action)
    }

    /// The planner's answer to a planned grace, made by the runner after the lock: the time that drains
    /// every job in flight now with 90 % probability (nil: none within a day).
    ///
    /// The deadline moves to now plus that time, whole seconds up (so an operator reads a round number and
    /// the rounding errs long) and at least a second, and never past the plan's cap. With tracked
    /// operations in flight, which the forecast does not cover, it takes the cap. Ignored when there is no
    /// plan any more: a grace given since, or a force.
    mutating func gracePlanned(_ suggested: Double?, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        guard phase == .draining, let plan, let started = drainStarted else { return action }
        self.plan = nil
        let limit = (plan.from ?? started) + plan.cap
        // The forecast covers jobs only: tracked operations (HTTP requests) have none, so while any is in
        // flight the plan takes the cap rather than cut them at a grace made without them. At least a
        // second otherwise: a deadline of "now" would race the drain's own clean end.
        let wanted =
            operations.isEmpty
            ? suggested.flatMap { $0.isFinite ? Duration.seconds(max(1, $0.rounded(.up))) : nil } : nil
        let end = wanted.map { min(limit, now.offset + $0) } ?? limit
        grace = end - started
        deadline = end
        markDeadline(cause: drainCause, at: now)
        arm(at: end, into: &action)
        let left = format(max(.zero, end - now.offset))
        let message =
            switch wanted {
            case .some(let wanted) where now.offset + wanted <= limit:
                "grace planned: \(left) drains the jobs in flight with 90 % probability"
            case .some(let wanted):
                "grace planned: \(left), the cap (the planner's \(format(wanted)) for 90 % is longer)"
            case nil where !operations.isEmpty:
                "grace planned: \(left), the cap (\(operations.count) tracked operations in flight, which have no forecast)"
            case nil:
                "grace planned: \(left), the cap (no grace within a day drains the jobs in flight with 90 % probability)"
            }
        record(.deadlineChanged, message, at: now, cause: drainCause, into: &action)
        action.wake = true
        return action
    }

    /// Moves the deadline of a drain in progress by `delta`; a deadline moved into the past forces at once
    /// (through the timer, armed in the past).
    /// - Throws: ``DrainError`` `notRunning` unless in lame duck or draining.
    mutating func moveDeadline(by delta: Duration, cause: DrainCause, at now: Now) throws(DrainError) -> Action {
        let now = clamp(now)
        var action = Action()
        // A plan not made yet keeps its place; its cap moves with the deadline.
        if let pending = plan, phase == .lameDuck || phase == .draining {
            plan?.cap = max(.zero, pending.cap + delta)
        }
        switch phase {
        case .lameDuck:
            grace = max(.zero, (grace ?? configuration.defaultGrace) + delta)
        case .draining:
            let grace = max(.zero, (grace ?? configuration.defaultGrace) + delta)
            let started = drainStarted ?? now.offset
            self.grace = grace
            deadline = started + grace
            markDeadline(cause: cause, at: now)
            arm(at: started + grace, into: &action)
        default:
            throw DrainError(.notRunning, "the deadline can only move while draining (the pool is \(phase))")
        }
        let direction = delta >= .zero ? "extended by" : "shortened by"
        record(
            .deadlineChanged, "deadline \(direction) \(format(delta >= .zero ? delta : .zero - delta)) by \(cause)",
            at: now, cause: cause, into: &action)
        action.wake = true
        return action
    }

    /// Forces the drain now: in-flight work is cancelled, then abandoned after the cancellation window.
    mutating func force(cause: DrainCause, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        plan = nil
        if phase == .running || phase == .lameDuck {
            drainCause = drainCause ?? cause
            grace = grace ?? .zero
            beginDraining(at: now, into: &action)
        }
        if phase == .draining { beginForcing(cause: cause, at: now, into: &action) }
        admitWaiters(into: &action)
        action.wake = true
        return action
    }

    /// A signal: the first SIGTERM or SIGINT drains with the default grace, a second forces, SIGQUIT forces.
    mutating func signal(_ signal: DrainSignal, at now: Now) -> Action {
        let cause = DrainCause.signal(signal.rawValue)
        switch (signal, phase) {
        case (.quit, _), (_, .lameDuck), (_, .draining):
            return force(cause: cause, at: now)
        case (_, .running):
            // The default grace is never negative, so this cannot throw.
            return (try? drain(grace: nil, cause: cause, at: now))?.1 ?? Action()
        default:
            return Action()
        }
    }

    /// The timer fired: the lame duck is over, the deadline passed, or the cancellation window closed.
    mutating func timerFired(_ generation: Int, at now: Now) -> Action {
        let now = clamp(now)
        var action = Action()
        guard let timer, timer.generation == generation else { return action }
        self.timer = nil
        switch phase {
        case .lameDuck: beginDraining(at: now, into: &action)
        case .draining: beginForcing(cause: .deadline, at: now, into: &action)
        case .forcing: windowExpired = true
        case .running, .stopped: break
        }
        action.wake = true
        return action
    }

    private mutating func beginDraining(at now: Now, into action: inout Action) {
        let grace = grace ?? configuration.defaultGrace
        phase = .draining
        lameDuckEnds = nil
        drainStarted = now.offset
        drainStartedAt = now.date
        deadline = now.offset + grace
        inFlightAtDrainStart = inFlightTotal
        settledSinceDrainStart = 0
        startTimeline(at: now)
        arm(at: now.offset + grace, into: &action)
        // Submits waiting for room are refused now, whichever event began the drain (the lame duck's
        // timer included): none may wait for a slot that will never come.
        admitWaiters(into: &action)
        let cause = drainCause ?? .application
        // A planned grace is made by the runner after this action's events: until then, the cap stands.
        if plan != nil { action.planGrace = true }
        let planned = plan != nil ? "planned, at most \(format(grace))" : format(grace)
        record(
            .phaseChanged,
            "drain started by \(cause), grace \(planned), \(inFlightTotal) in flight, \(queued) queued stay queued",
            at: now, cause: cause, into: &action)
    }

    /// Opens the timeline with a lane per job and operation in flight, oldest first, within the limit.
    private mutating func startTimeline(at now: Now) {
        var timeline = DrainTimeline(lameDuckStartedAt: lameDuckStartedAt, drainStartedAt: now.date)
        for entry in inFlight.oldest(DrainTimeline.laneLimit) {
            jobLanes[entry.job.id] = timeline.lanes.count
            timeline.lanes.append(.init(id: entry.job.id, kind: entry.job.kind, startedAt: entry.startedAt))
        }
        for (id, operation) in operations.sorted(by: { $0.value.started < $1.value.started }) {
            guard timeline.lanes.count < DrainTimeline.laneLimit else { break }
            operationLanes[id] = timeline.lanes.count
            timeline.lanes.append(.init(id: nil, kind: operation.name, startedAt: date(of: operation.started, at: now)))
        }
        timeline.lanesOmitted = inFlightTotal - timeline.lanes.count
        self.timeline = timeline
        markDeadline(cause: drainCause, at: now)
    }

    private mutating func beginForcing(cause: DrainCause, at now: Now, into action: inout Action) {
        phase = .forcing
        // A plan still to come is moot once the drain forces (its cap passed first).
        plan = nil
        timeline?.forcedAt = now.date
        action.cancelJobs += inFlight.entries.values.filter { !$0.finishing }.map(\.job.id).sorted()
        action.cancelOperations += operations.keys.sorted()
        arm(at: now.offset + configuration.cancellationWindow, into: &action)
        record(
            .phaseChanged,
            "forcing (\(cause)): cancelling \(inFlightTotal) in flight, \(format(configuration.cancellationWindow)) to wind down",
            at: now, cause: cause, into: &action)
    }

    // MARK: The dispatcher and the stop

    /// What the dispatcher does next; a claim or an abandon is recorded as begun.
    mutating func nextStep(at now: Now) -> (Step, Action) {
        let now = clamp(now)
        var action = Action()
        guard lifecycle == .running, loaded else { return (.wait, action) }
        if phase.acceptsWork {
            let free = configuration.maxConcurrentJobs - inFlight.count
            // A shared queue is fed by others too: its count is a hint, so claim whatever fits while a claim
            // may find work.
            let count = shared ? (claimable ? free : 0) : min(free, queued)
            guard count > 0, !claiming else { return (.wait, action) }
            claiming = true
            claimSeq = newsSeq
            return (.claim(count), action)
        }
        if claiming { return (.wait, action) }
        let abandonable = inFlight.entries.values.contains { !$0.finishing }
        if phase == .forcing, windowExpired, abandonable || !operations.isEmpty {
            return (.abandon(abandon(at: now, into: &action)), action)
        }
        // A plan asked for is brought back at once by the runner; stopping first would leave the drain's
        // log without it (and its requester's reply without the planned deadline).
        if plan != nil, phase == .draining { return (.wait, action) }
        if inFlight.count == 0, operations.isEmpty || (phase == .forcing && windowExpired) {
            return (.stop, action)
        }
        return (.wait, action)
    }

    /// The cancellation window closed: every job still running goes back to the queue, and the drain stops
    /// waiting for the operations.
    private mutating func abandon(at now: Now, into action: inout Action) -> [JobOutcome] {
        var outcomes: [JobOutcome] = []
        for entry in inFlight.oldest(inFlight.count) where !entry.finishing {
            inFlight.remove(entry.job.id)
            let ran = now.offset - entry.started
            outcomes.append(JobOutcome(id: entry.job.id, result: .requeued))
            cancelled += 1
            requeued += 1
            queued += 1
            settledSinceDrainStart += 1
            addSample(entry.job.kind, ran, censored: true)
            endLane(job: entry.job.id, .abandoned, at: now)
            reportJobs.append(
                .init(
                    id: entry.job.id, kind: entry.job.kind, ranSeconds: ran.seconds, fate: "abandoned", requeued: true))
            record(
                .jobRequeued,
                "job \(entry.job.id) (\(entry.job.kind)) ignored cancellation; abandoned after \(format(ran)) and requeued",
                at: now, job: entry.job, ran: ran, into: &action)
        }
        action.metrics.cancelled += outcomes.count
        action.metrics.requeued += outcomes.count
        if !operations.isEmpty {
            cancelled += operations.count
            settledSinceDrainStart += operations.count
            action.metrics.cancelled += operations.count
            record(.jobCancelled, "\(operations.count) tracked operations abandoned", at: now, into: &action)
            for id in operations.keys { endLane(operation: id, .abandoned, at: now) }
            operations = [:]
        }
        action.wake = true
        return outcomes
    }

    /// The journal is synced after the last job: the pool stops, with its report.
    mutating func stopped(at now: Now, pid: Int32) -> (ShutdownReport, Action) {
        let now = clamp(now)
        var action = Action()
        let forced = phase == .forcing
        let drainSeconds = drainStarted.map { (now.offset - $0).seconds } ?? 0
        phase = .stopped
        timer = nil
        let report = ShutdownReport(
            outcome: forced ? .forced : .clean, name: configuration.name, pid: pid, cause: drainCause,
            drainStartedAt: drainStartedAt, stoppedAt: now.date, drainSeconds: drainSeconds,
            graceSeconds: grace?.seconds, inFlightAtDrainStart: inFlightAtDrainStart, completed: completed,
            failed: failed, cancelled: cancelled, requeued: requeued, recovered: recovered, rejected: rejected,
            queued: queued, jobs: reportJobs, completedOperations: completedOperations, timeline: timeline
        )
        self.report = report
        lifecycle = .finished
        record(
            .stopped,
            "stopped \(report.outcome.rawValue) after \(DurationFormat.fixed(drainSeconds, places: 2))s: \(report.completed) completed, \(report.requeued) requeued",
            at: now, cause: drainCause, into: &action)
        recentEvents[recentEvents.count - 1].report = report
        action.events[action.events.count - 1].report = report
        action.finishSubscriptions = true
        action.cancelTimers = true
        action.metrics.drainDuration = .seconds(drainSeconds)
        return (report, action)
    }
}
