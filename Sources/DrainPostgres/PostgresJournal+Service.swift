import Drain
import Foundation
import PostgresNIO
import ServiceLifecycle

extension PostgresJournal {
    public func updates(status: @escaping @Sendable () -> WorkerStatus) -> AsyncStream<JournalUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: JournalUpdate.self, bufferingPolicy: .bufferingNewest(64))
        let (previous, rescued) = state.withLock { state in
            state.status = status
            defer { (state.continuation, state.unreportedRescues) = (continuation, 0) }
            return (state.continuation, state.unreportedRescues)
        }
        previous?.finish()
        if rescued > 0 { continuation.yield(JournalUpdate(wake: true, rescued: rescued)) }
        return stream
    }

    /// Runs the client, the listener and the heartbeat until the service group shuts down.
    ///
    /// Place it before the pool in the group, so that the pool stops first and can still write its
    /// outcomes: the heartbeat keeps beating and the client keeps answering until the pool is done.
    public func run() async throws {
        state.withLock { $0.running = true }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await cancelWhenGracefulShutdown { await self.listen() } }
            group.addTask { await cancelWhenGracefulShutdown { await self.keepBeating() } }
            group.addTask { await cancelWhenGracefulShutdown { await self.wakePeers() } }
        }
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.finish()
    }

    /// Tells the pool; with nobody subscribed yet, keeps only what must not be lost: rescued counts (the
    /// rest is state that the next beat tells again).
    func publish(_ update: JournalUpdate) {
        let continuation = state.withLock { state in
            if state.continuation == nil { state.unreportedRescues += update.rescued }
            return state.continuation
        }
        continuation?.yield(update)
    }

    static var pruneInterval: Duration { .seconds(60) }

    /// Heartbeats and rescue sweeps, as the lease state machine schedules them.
    private func keepBeating() async {
        let clock = ContinuousClock()
        let start = clock.now
        var machine = LeaseStateMachine(
            heartbeat: configuration.heartbeat, lease: configuration.lease, now: .zero)
        // The first sweep prunes too: a worker that starts after a long pause cleans up at once.
        var lastPrune = start - Self.pruneInterval
        while !Task.isCancelled {
            let (actions, next) = machine.due(now: clock.now - start)
            for action in actions {
                switch action {
                case .beat:
                    // The pool registers this worker in recover(); until then there is nothing to beat for.
                    guard state.withLock({ $0.registered }) else { continue }
                    do {
                        let (queued, waiting) = try await beat()
                        let back = machine.beatSucceeded(now: clock.now - start)
                        if back { logger.notice("the PostgreSQL journal answers again") }
                        publish(
                            JournalUpdate(
                                queued: queued, wake: queued > 0, reachable: true, waitingForRescue: waiting))
                    } catch {
                        if machine.beatFailed(now: clock.now - start) {
                            logger.error(
                                "the PostgreSQL journal does not answer", metadata: ["drain.error": "\(error)"])
                        }
                        if !machine.holdsLease(now: clock.now - start) {
                            logger.warning(
                                "this worker's lease has run out: its running jobs may be rescued and run elsewhere")
                        }
                        publish(JournalUpdate(reachable: false))
                    }
                case .sweep:
                    guard state.withLock({ $0.registered }) else { continue }
                    do {
                        let rescued = try await sweep()
                        if rescued > 0 { publish(JournalUpdate(wake: true, rescued: rescued)) }
                    } catch {
                        logger.warning("rescue sweep failed", metadata: ["drain.error": "\(error)"])
                    }
                    // Old rows go at most once a minute: the table is small, but every worker sweeps.
                    guard clock.now - lastPrune >= Self.pruneInterval else { continue }
                    lastPrune = clock.now
                    do {
                        try await prune()
                    } catch {
                        logger.warning("cannot delete old workers' rows", metadata: ["drain.error": "\(error)"])
                    }
                }
            }
            try? await clock.sleep(until: start + next)
        }
    }

    /// Sends the `NOTIFY` that follows appends: one at a time, each after the commit of every append it
    /// announces, so a peer it wakes finds their rows. Appends while one is on its way fold into the next
    /// (the stream keeps one pending), so a burst costs the fleet one notification and one claim per peer,
    /// not one of each per append.
    ///
    /// A notification that cannot be sent is only logged: the submitting worker claims its own jobs anyway,
    /// and the heartbeat's poll wakes the others.
    private func wakePeers() async {
        let statement = NotifyPeers(channel: schema.channel)
        for await _ in peerWakes {
            do {
                _ = try await rows(statement, "cannot wake the fleet's workers")
            } catch {
                logger.debug("cannot wake the fleet's workers", metadata: ["drain.error": "\(error)"])
            }
        }
    }

    /// LISTENs on a connection of its own (postgres-nio listens on a connection, not on the client) and
    /// reconnects when it drops. A notification nobody heard is lost, so each (re)connect also wakes the
    /// pool, and the heartbeat polls.
    private func listen() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: connectionConfiguration, id: 1, logger: logger)
                do {
                    try await connection.listen(on: schema.channel) { notifications in
                        attempt = 0
                        publish(JournalUpdate(wake: true))
                        for try await _ in notifications { publish(JournalUpdate(wake: true)) }
                    }
                } catch {
                    logger.debug(
                        "the journal's listener stopped", metadata: ["drain.error": "\(PostgresFailure(error))"])
                }
                try? await connection.close()
            } catch {
                logger.debug(
                    "the journal's listener cannot connect", metadata: ["drain.error": "\(PostgresFailure(error))"])
            }
            attempt += 1
            try? await Task.sleep(for: min(configuration.heartbeat * attempt, .seconds(5)))
        }
    }
}
