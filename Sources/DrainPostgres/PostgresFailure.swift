import Drain
import PostgresNIO

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
/// The body is cancelled when the time is up, so a database that does not answer never holds up a
/// drain past its deadline.
func withTimeout<T: Sendable>(
    _ timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw PostgresFailure(timeout: timeout)
        }
        return value
    }
}

extension DrainError {
    /// A journal error whose cause reads like the server's answer.
    static func postgres(_ message: String, _ error: any Error) -> DrainError {
        DrainError(.journal, message, cause: PostgresFailure(error))
    }
}
