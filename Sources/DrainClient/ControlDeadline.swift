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
