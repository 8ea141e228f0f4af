import Synchronization

/// Sets the pool's gauges in the order their values were read under the pool's lock.
///
/// Gauges are set after the lock, by whichever runner read them: a job's event, a drain, the periodic
/// refresh. Two of them can reach the metrics backend in either order, and the older reading must not be
/// the one that stays: least of all after the pool stopped, when no refresh comes to correct it and a
/// last scrape would show the pool still forcing. Each reading carries the number it was given under the
/// pool's lock; the writer keeps the newest, and one caller at a time writes, outside every lock (a
/// metrics backend is foreign code), until nothing newer is waiting. A caller that finds another writing
/// leaves its reading to that one; ``flush()`` waits for it.
final class GaugeWriter: Sendable {
    private struct State {
        var latest: PoolMetrics.Gauges?
        var latestSequence: UInt64 = 0
        /// Handed to the backend, and returned from it.
        var doneSequence: UInt64 = 0
        var writing = false
        var flushes: [(through: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let metrics: PoolMetrics
    private let state = Mutex(State())

    init(metrics: PoolMetrics) {
        self.metrics = metrics
    }

    /// Sets `gauges` unless a newer reading was set or handed over already.
    /// - Parameter sequence: The reading's number, taken under the pool's lock (``PoolCore/readGauges(at:)``).
    func set(_ gauges: PoolMetrics.Gauges, sequence: UInt64) {
        let isWriter = state.withLock { state -> Bool in
            if sequence > state.latestSequence {
                state.latest = gauges
                state.latestSequence = sequence
            }
            guard !state.writing, state.latestSequence > state.doneSequence else { return false }
            state.writing = true
            return true
        }
        guard isWriter else { return }
        var next = nextToWrite(after: nil)
        while let (gauges, sequence) = next.reading {
            for flush in next.done { flush.resume() }
            metrics.set(gauges)
            next = nextToWrite(after: sequence)
        }
        for flush in next.done { flush.resume() }
    }

    /// Returns once every reading set so far is in the backend (or superseded by one that is): the pool's
    /// last gauges must be there before ``WorkerPool/run()`` returns and an exporter takes its last look.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard state.latestSequence > state.doneSequence else { return true }
                state.flushes.append((state.latestSequence, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Callers of ``flush()`` still waiting (for tests: a flush can be seen waiting without a clock).
    var waitingFlushes: Int { state.withLock { $0.flushes.count } }

    /// Records `written` as done, and takes the newest reading not yet written; nil (and the writer's turn
    /// ends) when there is none. Also returns the flushes that `written` completed, to resume after the lock.
    private func nextToWrite(
        after written: UInt64?
    ) -> (reading: (PoolMetrics.Gauges, UInt64)?, done: [CheckedContinuation<Void, Never>]) {
        state.withLock { state in
            if let written { state.doneSequence = max(state.doneSequence, written) }
            let done = state.flushes.filter { $0.through <= state.doneSequence }.map(\.continuation)
            state.flushes.removeAll { $0.through <= state.doneSequence }
            guard state.latestSequence > state.doneSequence, let latest = state.latest else {
                state.writing = false
                return (nil, done)
            }
            return ((latest, state.latestSequence), done)
        }
    }
}
