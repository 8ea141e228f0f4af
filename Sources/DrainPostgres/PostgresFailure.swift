import Drain
import PostgresNIO
import Synchronization

/// A database failure in words a person can act on.
///
/// `PSQLError` hides the server's message from its description (it may hold data); the journal's errors
/// name the server's message and SQLSTATE, or the connection failure, and never the query's values.
struct PostgresFailure: Error, CustomStringConvertible {
    let description: String

    init(_ error: any Error) {
        if let failure = error as? PostgresFailure {
            description = failure.description
        } else if let error = error as? PSQLError {
            if let info = error.serverInfo, let message = info[.message] {
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                description = "the server said: \(message)\(state)"
            } else if let underlying = error.underlying {
                description = "\(error.code): \(underlying)"
            } else {
                description = "\(error.code)"
            }
        } else if let error = error as? PostgresTransactionError {
            let inner = error.closureError ?? error.beginError ?? error.commitError
            description = inner.map { PostgresFailure($0).description } ?? "the transaction failed"
        } else {
            description = String(describing: error)
        }
    }

    init(description: String) {
        self.description = description
    }

    init(timeout: Duration) {
        description = "no answer within \(timeout)"
    }

    /// The server's SQLSTATE, when the server answered with an error.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}

/// Runs `body`, failing with a ``PostgresFailure`` when it takes longer than `timeout`.
///
/// The caller gets its answer at the timeout even if `body` does not end then: a query already written to
/// a connection whose server went away is not cancellable, and a drain must never wait on it past its
/// deadline. `body` is cancelled and left to end on its own (when its connection closes).
func withTimeout<T: Sendable>(
    _ timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = TimeoutRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation, timeout: timeout, body)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of the body, the timer and the caller's cancellation to finish resumes the caller, once.
private final class TimeoutRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<T, any Error>, timeout: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early {
            continuation.resume(with: early)
            return
        }
        let work = Task {
            do {
                self.finish(.success(try await body()))
            } catch {
                self.finish(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.finish(.failure(PostgresFailure(timeout: timeout)))
        }
        let late = state.withLock { state -> Bool in
            if state.continuation == nil { return true }
            state.tasks = [work, timer]
            return false
        }
        // Finished already (between the two looks): stop whichever is still going.
        if late {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock {
            state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard let continuation = state.continuation else {
                if state.early == nil { state.early = result }
                return (nil, [])
            }
            state.continuation = nil
            defer { state.tasks = [] }
            return (continuation, state.tasks)
        }
        // After the lock: resuming and cancelling run foreign code.
        continuation?.resume(with: result)
        for task in tasks { task.cancel() }
    }
}

extension DrainError {
    /// A journal error whose cause reads like the server's answer.
    static func postgres(_ message: String, _ error: any Error) -> DrainError {
        DrainError(.journal, message, cause: PostgresFailure(error))
    }
}
