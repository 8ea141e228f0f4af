import DrainProtocol

/// Runs `body`, or throws ``ControlError`` `connectionLost` when it takes longer than `limit`.
///
/// Every client call that talks to another process needs a bound: a wedged server must not hang a CLI
/// command or the dashboard.
/// - Parameters:
///   - limit: How long to wait.
///   - what: Named in the error message (usually the socket path).
///   - body: The work to bound; it is cancelled when time runs out.
public func withControlDeadline<T: Sendable>(
    _ limit: Duration, what: String = "the process", _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw ControlError(.connectionLost, "\(what) did not answer within \(limit)")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}

/// How long a command that lists every process of a host (`ls`, `status --all`) waits for one of them to
/// answer `status` before it shows that one as unresponsive.
///
/// One bound for both: `ls` had 2 s, and beside a busy test suite a drain-demo that had just started
/// took longer than that to answer, so `ls` called a healthy process unresponsive.
package let processAnswerLimit: Duration = .seconds(5)
