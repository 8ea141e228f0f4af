/// An error thrown by the Drain library.
///
/// Match on ``code``; the ``message`` is for people and may change.
public struct DrainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: String, Sendable {
            case notAccepting = "not_accepting"
            case unknownKind = "unknown_kind"
            case journal
            case invalidArgument = "invalid_argument"
            case alreadyRunning = "already_running"
            case notRunning = "not_running"
        }

        let wrapped: Wrapped

        /// The pool is draining or stopped: new jobs and tracked operations are refused.
        public static let notAccepting = Code(wrapped: .notAccepting)
        /// No handler is registered for the job's kind.
        public static let unknownKind = Code(wrapped: .unknownKind)
        /// The journal could not read or write.
        public static let journal = Code(wrapped: .journal)
        /// An argument is out of range (a negative grace, a zero concurrency).
        public static let invalidArgument = Code(wrapped: .invalidArgument)
        /// `run()` was called twice.
        public static let alreadyRunning = Code(wrapped: .alreadyRunning)
        /// The command needs a pool that is draining (moving the deadline) or running.
        public static let notRunning = Code(wrapped: .notRunning)

        /// The code as it appears on the wire and in logs (`not_accepting`).
        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String
    /// The underlying error, when there is one (a SQLite error for ``Code/journal``).
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause.map { String(describing: $0) }
    }

    public var description: String {
        "DrainError(\(code)): \(message)" + (cause.map { " — \($0)" } ?? "")
    }
}
