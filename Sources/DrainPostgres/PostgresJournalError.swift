/// An error from the PostgreSQL journal that is not a journal read or write (those are `DrainError`s).
///
/// Match on ``code``; the ``message`` is for people and may change.
public struct PostgresJournalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: String, Sendable {
            case invalidURL = "invalid_url"
            case invalidSchema = "invalid_schema"
            case invalidConfiguration = "invalid_configuration"
        }

        let wrapped: Wrapped

        /// The connection URL cannot be parsed or names an unsupported scheme or option.
        public static let invalidURL = Code(wrapped: .invalidURL)
        /// The schema name is not a plain lower-case SQL identifier.
        public static let invalidSchema = Code(wrapped: .invalidSchema)
        /// A lease, heartbeat or timeout is out of range.
        public static let invalidConfiguration = Code(wrapped: .invalidConfiguration)

        /// The code as it appears in logs (`invalid_url`).
        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "PostgresJournalError(\(code)): \(message)" }
}
