import Foundation

extension WorkerPool {
    /// Starts the drain, or moves its deadline when it already started.
    ///
    /// While running, this enters lame duck (if configured) and then draining, with the deadline at the
    /// start of draining plus `grace`. While in lame duck or draining, it sets the deadline to now plus
    /// `grace` — the operator chooses the time left at that moment.
    /// - Parameters:
    ///   - grace: How long in-flight work may take; nil for the configured default.
    ///   - cause: Who asked, for the event log and the report.
    /// - Returns: The phase after the call.
    /// - Throws: ``DrainError`` `invalidArgument` for a negative grace.
    @discardableResult
    public func drain(grace: Duration? = nil, cause: DrainCause = .application) throws -> DrainPhase {
        try send { machine, now throws(DrainError) in try machine.drain(grace: grace, cause: cause, at: now) }
    }

    /// Starts the drain with the planner's grace: the time that drains every job in flight as draining
    /// begins with 90 % probability, whole seconds up, and at most `cap`.
    ///
    /// The plan is made from the jobs the drain will wait for, as it begins: when the lame duck (if
    /// configured) ends, or at once. So a job that starts between an operator's look at the plan and the
    /// drain is planned for too. The deadline stands at `cap` until the plan is made, a moment later; the
    /// event log shows the drain's start, then a `deadline_changed` event with the planned grace. The plan
    /// is whole seconds, at least one; tracked operations have no forecast, so with any in flight it takes
    /// the cap. In lame duck, the plan waits for draining to begin; an `extend` meanwhile moves the cap,
    /// not the plan. While draining, the plan is made now and counted from now, like a grace given then.
    /// - Parameters:
    ///   - cap: The longest grace to take. The planner answers the cap when no grace within a day drains
    ///     the jobs with 90 % probability.
    ///   - cause: Who asked, for the event log and the report.
    /// - Returns: The phase after the call.
    /// - Throws: ``DrainError`` `invalidArgument` for a negative cap.
    @discardableResult
    public func drain(plannedGraceUpTo cap: Duration, cause: DrainCause = .application) throws -> DrainPhase {
        try send { machine, now throws(DrainError) in try machine.drain(plannedGraceUpTo: cap, cause: cause, at: now) }
    }

    /// Moves the deadline of a drain in progress by `delta` (negative to shorten it).
    ///
    /// A deadline moved into the past forces the drain at once.
    /// - Throws: ``DrainError`` `notRunning` unless the pool is in lame duck or draining.
    public func moveDeadline(by delta: Duration, cause: DrainCause = .application) throws {
        try send { machine, now throws(DrainError) in
            ((), try machine.moveDeadline(by: delta, cause: cause, at: now))
        }
    }

    /// Forces the drain now: in-flight work is cancelled, then abandoned after the cancellation window.
    public func force(cause: DrainCause = .application) {
        send { machine, now in machine.force(cause: cause, at: now) }
    }

    /// Reacts to a signal: the first SIGTERM or SIGINT drains, a second forces, SIGQUIT forces.
    func handle(_ signal: DrainSignal) {
        send { machine, now in machine.signal(signal, at: now) }
    }
}
