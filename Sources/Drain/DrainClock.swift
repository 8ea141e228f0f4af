/// A type-erased monotonic clock measured as offsets from the moment it was wrapped.
///
/// The pool is written against this so that tests can drive time by hand; production uses
/// `ContinuousClock`. Offsets (not instants) let the pool store times without generic parameters.
struct DrainClock: Sendable {
    private let nowOffset: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        self.nowOffset = { origin.duration(to: clock.now) }
        self.sleeper = { offset in try await clock.sleep(until: origin.advanced(by: offset), tolerance: nil) }
    }

    /// Time since the clock was wrapped.
    var now: Duration { nowOffset() }

    /// Sleeps until the given offset; throws `CancellationError` when the task is cancelled.
    func sleep(until offset: Duration) async throws { try await sleeper(offset) }
}
