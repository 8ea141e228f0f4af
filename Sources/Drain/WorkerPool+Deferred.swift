extension WorkerPool {
    /// Runs what a locked section decided but must not do under the lock: task cancellations and
    /// operations' cancel closures, then handing new events to the subscribers.
    ///
    /// Call it after every `state.withLock` that may record an event or cancel something. Cancellation
    /// handlers and resumed subscribers are foreign code: under the lock, one that calls back into the
    /// pool (`snapshot()`, `phase`) would deadlock on it.
    ///
    /// Events leave in `seq` order although several threads record them: one caller at a time hands
    /// them over, and the others leave theirs in ``PoolState/unpublished`` for it to take.
    func runDeferred() {
        let cancels = state.withLock { state -> [@Sendable () -> Void] in
            defer { state.pendingCancels = [] }
            return state.pendingCancels
        }
        for cancel in cancels { cancel() }
        while true {
            let batch = state.withLock { state -> (events: [DrainEvent], finish: Bool)? in
                guard !state.publishing, !state.unpublished.isEmpty || state.finishSubscriptions else { return nil }
                state.publishing = true
                defer {
                    state.unpublished = []
                    state.finishSubscriptions = false
                }
                return (state.unpublished, state.finishSubscriptions)
            }
            guard let batch else { return }
            for event in batch.events { hub.publish(event) }
            if batch.finish { hub.finish() }
            let more = state.withLock { state -> Bool in
                state.publishing = false
                return !state.unpublished.isEmpty || state.finishSubscriptions
            }
            guard more else { return }
        }
    }
}
