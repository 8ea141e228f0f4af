extension WorkerPool {
    /// Sets the gauges that follow the pool's state (phase, in flight, queued, seconds left).
    ///
    /// The values are read under the lock and handed to the metrics backend after it. Two callers racing
    /// can leave a gauge one step stale; the refresh in ``refreshGauges(every:)`` corrects it within one
    /// interval, and a scrape is a sample anyway.
    func publishGauges() {
        let now = clock.now
        let gauges = state.withLock { state in
            PoolMetrics.Gauges(
                phase: state.phase, inFlight: state.inFlightTotal, queued: state.queued,
                secondsLeft: state.secondsLeft(at: now, defaultGrace: configuration.defaultGrace),
                waitingForRescue: state.waitingForRescue ?? 0
            )
        }
        metrics.set(gauges)
    }

    /// Keeps the gauges fresh between transitions (seconds left moves on its own), until cancelled.
    func refreshGauges(every interval: Duration) async {
        var next = clock.now
        while !Task.isCancelled {
            publishGauges()
            next += interval
            do {
                try await clock.sleep(until: next)
            } catch {
                return
            }
        }
    }
}
