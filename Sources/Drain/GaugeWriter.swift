import Synchronization

/// Sets the pool's gauges in the order their values were read under the pool's lock.
///
/// Gauges are set after the lock, by whichever runner read them: a job's event, a drain, the periodic
/// refresh. Two of them can reach the metrics backend in either order, and the older reading must not be
/// the one that stays: least of all after the pool stopped, when no refresh comes to correct it and a
/// last scrape would show the pool still forcing. Each reading carries the number it was given under the
/// pool's lock; the writer keeps the newest, and one caller at a time writes, outside every lock (a
/// metrics backend is foreign code), until nothing newer is waiting. A caller that finds another writing
/// leaves its reading to that one.
final class GaugeWriter: Sendable {
    private struct State {
        var latest: PoolMetrics.Gauges?
        var latestSequence: UInt64 = 0
        var writtenSequence: UInt64 = 0
        var writing = false
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
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        guard isWriter else { return }
        while let next = nextToWrite() { metrics.set(next) }
    }

    /// The newest reading not yet written; nil (and the writer's turn ends) when there is none.
    private func nextToWrite() -> PoolMetrics.Gauges? {
        state.withLock { state in
            guard state.latestSequence > state.writtenSequence, let latest = state.latest else {
                state.writing = false
                return nil
            }
            state.writtenSequence = state.latestSequence
            return latest
        }
    }
}
