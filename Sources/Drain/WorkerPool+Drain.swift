import Foundation
import Logging

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
        let grace = grace ?? configuration.defaultGrace
        guard grace >= .zero else { throw DrainError(.invalidArgument, "the grace must not be negative") }
        let (events, phase) = state.withLock { state -> ([DrainEvent], DrainPhase) in
            var events: [DrainEvent] = []
            switch state.phase {
            case .running:
                state.drainCause = cause
                state.grace = grace
                if configuration.lameDuck > .zero {
                    state.phase = .lameDuck
                    events.append(
                        state.event(
                            .phaseChanged,
                            "lame duck for \(format(configuration.lameDuck)) started by \(cause), then a \(format(grace)) drain",
                            cause: cause, limit: configuration.snapshotEventLimit
                        )
                    )
                    state.lameDuckEnds = clock.now + configuration.lameDuck
                    schedule(&state, at: clock.now + configuration.lameDuck)
                } else {
                    events += beginDraining(&state)
                }
            case .lameDuck:
                state.grace = grace
                events.append(
                    state.event(
                        .deadlineChanged, "grace set to \(format(grace)) by \(cause)", cause: cause,
                        limit: configuration.snapshotEventLimit
                    )
                )
            case .draining:
                let now = clock.now
                state.grace = (now - (state.drainStarted ?? now)) + grace
                state.deadline = now + grace
                schedule(&state, at: now + grace)
                events.append(
                    state.event(
                        .deadlineChanged, "deadline moved to \(format(grace)) from now by \(cause)", cause: cause,
                        limit: configuration.snapshotEventLimit
                    )
                )
            case .forcing, .stopped:
                break
            }
            return (events, state.phase)
        }
        runDeferred()
        log(events)
        publishGauges()
        releaseWaiters()
        wake()
        return phase
    }

    /// Moves the deadline of a drain in progress by `delta` (negative to shorten it).
    ///
    /// A deadline moved into the past forces the drain at once.
    /// - Throws: ``DrainError`` `notRunning` unless the pool is in lame duck or draining.
    public func moveDeadline(by delta: Duration, cause: DrainCause = .application) throws {
        let events = try state.withLock { state -> [DrainEvent] in
            switch state.phase {
            case .lameDuck:
                let grace = max(.zero, (state.grace ?? configuration.defaultGrace) + delta)
                state.grace = grace
            case .draining:
                let grace = max(.zero, (state.grace ?? configuration.defaultGrace) + delta)
                let started = state.drainStarted ?? clock.now
                state.grace = grace
                state.deadline = started + grace
                schedule(&state, at: started + grace)
            default:
                throw DrainError(.notRunning, "the deadline can only move while draining (the pool is \(state.phase))")
            }
            let direction = delta >= .zero ? "extended by" : "shortened by"
            let event = state.event(
                .deadlineChanged,
                "deadline \(direction) \(format(delta >= .zero ? delta : .zero - delta)) by \(cause)",
                cause: cause, limit: configuration.snapshotEventLimit
            )
            return [event]
        }
        runDeferred()
        log(events)
        publishGauges()
        wake()
    }

    /// Forces the drain now: in-flight work is cancelled, then abandoned after the cancellation window.
    public func force(cause: DrainCause = .application) {
        let events = state.withLock { state -> [DrainEvent] in
            var events: [DrainEvent] = []
            if state.phase == .running || state.phase == .lameDuck {
                state.drainCause = state.drainCause ?? cause
                state.grace = state.grace ?? .zero
                events += beginDraining(&state)
            }
            if state.phase == .draining { events += beginForcing(&state, cause: cause) }
            return events
        }
        runDeferred()
        log(events)
        publishGauges()
        releaseWaiters()
        wake()
    }

    /// Reacts to a signal: the first SIGTERM or SIGINT drains, a second forces, SIGQUIT forces.
    func handle(_ signal: DrainSignal) {
        let cause = DrainCause.signal(signal.rawValue)
        switch (signal, phase) {
        case (.quit, _):
            force(cause: cause)
        case (_, .running):
            _ = try? drain(cause: cause)
        case (_, .lameDuck), (_, .draining):
            force(cause: cause)
        default:
            break
        }
    }

    /// The timer fired: lame duck is over, the deadline passed, or the cancellation window closed.
    func timerFired(generation: Int) {
        let events = state.withLock { state -> [DrainEvent] in
            guard generation == state.timerGeneration else { return [] }
            var events: [DrainEvent] = []
            switch state.phase {
            case .lameDuck: events += beginDraining(&state)
            case .draining: events += beginForcing(&state, cause: .deadline)
            case .forcing: state.windowExpired = true
            case .running, .stopped: break
            }
            return events
        }
        runDeferred()
        log(events)
        publishGauges()
        wake()
    }

    func beginDraining(_ state: inout PoolState) -> [DrainEvent] {
        let now = clock.now
        let grace = state.grace ?? configuration.defaultGrace
        state.phase = .draining
        state.lameDuckEnds = nil
        state.drainStarted = now
        state.drainStartedAt = Date()
        state.deadline = now + grace
        state.inFlightAtDrainStart = state.inFlightTotal
        state.settledSinceDrainStart = 0
        schedule(&state, at: now + grace)
        let cause = state.drainCause ?? .application
        return [
            state.event(
                .phaseChanged,
                "drain started by \(cause), grace \(format(grace)), \(state.inFlightTotal) in flight, \(state.queued) queued stay queued",
                cause: cause, limit: configuration.snapshotEventLimit
            )
        ]
    }

    func beginForcing(_ state: inout PoolState, cause: DrainCause) -> [DrainEvent] {
        state.phase = .forcing
        // Run after the lock (see runDeferred): a cancellation handler may call back into the pool.
        for entry in state.inFlight.entries.values where !entry.finishing { state.pendingCancels.append(entry.cancel) }
        for operation in state.operations.values {
            if let cancel = operation.cancel { state.pendingCancels.append(cancel) }
        }
        schedule(&state, at: clock.now + configuration.cancellationWindow)
        return [
            state.event(
                .phaseChanged,
                "forcing (\(cause)): cancelling \(state.inFlightTotal) in flight, \(format(configuration.cancellationWindow)) to wind down",
                cause: cause, limit: configuration.snapshotEventLimit
            )
        ]
    }

    /// Arms the single timer for `offset`, replacing any earlier one.
    func schedule(_ state: inout PoolState, at offset: Duration) {
        if let old = state.timer { state.pendingCancels.append { old.cancel() } }
        state.timerGeneration += 1
        let generation = state.timerGeneration
        let clock = self.clock
        state.timer = Task { [weak self] in
            do {
                try await clock.sleep(until: offset)
            } catch {
                return
            }
            self?.timerFired(generation: generation)
        }
    }

    func log(_ events: [DrainEvent]) {
        for event in events {
            logger.notice(
                "\(event.message)",
                metadata: [
                    "drain.event": "\(event.kind.rawValue)", "drain.phase": "\(event.phase)",
                ]
            )
        }
    }
}

/// `1.5s`, `30s`, `2m05s`: durations as operators read them in events and logs.
func format(_ duration: Duration) -> String { DurationFormat.short(duration.seconds) }
