/// Why the fleet could not be read.
public struct FleetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String

        /// The URL is not a PostgreSQL URL drainctl understands.
        public static let invalidURL = Code(rawValue: "invalid_url")
        /// The server could not be reached, or refused the login.
        public static let connectFailed = Code(rawValue: "connect_failed")
        /// A query failed: most often, the schema has no journal tables (no worker ever started there).
        public static let queryFailed = Code(rawValue: "query_failed")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
