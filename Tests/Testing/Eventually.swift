import Testing

/// How long a test waits for a condition before it fails, unless it passes a bound of its own.
///
/// Generous on purpose: a test waits for a condition, never for a fixed time, and on a loaded machine (two
/// cores shared with other builds) a condition that takes 50 ms when idle can take seconds. A condition
/// that holds returns at once, so the length of the deadline costs a passing test nothing.
///
/// Two minutes, not thirty seconds: the suite's 431 tests start together in one process and share the two
/// cores with the processes they spawn, about 55 s of CPU in all. Beside two CPU hogs a unit test that
/// needs 20 ms of it waited over 30 s for its turn (its pool's start, in CI), while it takes 2 s alone.
/// The suites' time limits (five minutes) leave room for a test's few waits to take that long each.
public let defaultWaitTimeout: Duration = .seconds(120)

/// Polls `probe` until it returns a value, and returns it; records an issue and throws after `timeout`.
///
/// The one polling loop of the test targets. The first checks come quickly (1 ms apart) so that a
/// condition met in microseconds does not slow a unit test down, then the interval doubles up to 50 ms,
/// so that a probe that costs something (a `psql`, a tmux capture, a socket round trip) does not take
/// the machine from the processes under test.
/// - Parameters:
///   - timeout: How long to wait; ``defaultWaitTimeout`` unless the test states a bound of its own.
///   - what: What is awaited, for the failure message.
///   - probe: Returns a value once the condition holds, `nil` before.
/// - Throws: `CancellationError` after `timeout`, with the issue already recorded at the caller's line;
///   whatever `probe` throws.
@discardableResult
public func eventuallyValue<T>(
    timeout: Duration = defaultWaitTimeout, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ probe: () async throws -> T?
) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var interval = Duration.milliseconds(1)
    while true {
        if let value = try await probe() { return value }
        guard clock.now < deadline else { break }
        try await Task.sleep(for: interval)
        interval = min(interval * 2, .milliseconds(50))
    }
    Issue.record("timed out after \(timeout) waiting for \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

/// Polls `condition` until it holds; records an issue and throws after `timeout`.
///
/// See ``eventuallyValue(timeout:_:sourceLocation:_:)`` for the intervals and the failure.
public func eventually(
    timeout: Duration = defaultWaitTimeout, _ what: String = "condition",
    sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
) async throws {
    try await eventuallyValue(timeout: timeout, what, sourceLocation: sourceLocation) {
        try await condition() ? true : nil
    }
}
